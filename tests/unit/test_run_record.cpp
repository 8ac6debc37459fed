// run.json (core/runfiles/run_record.hpp): the JSON form round-trips, every
// malformed record is refused with a RunRecordError that says why, and writes are
// atomic: a reader never sees half a file, and no temporary is left behind.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runfiles/run_record.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;
using nlohmann::json;


class RunRecordFiles : public ::testing::Test {
 protected:
  orrery::test_support::TempDir tmp_{"orrery-rec"};
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    return out;
  }
  fs::path dir_ = tmp_.path();
};

RunRecord full_record() {
  RunRecord r;
  r.id = "20261125-143012-gpt-1a2b";
  r.name = "gpt \xce\xbb \"quoted\"";
  r.kind = "gpt-train";
  r.target = "slurm-big";
  r.ranks = 16;
  r.tags = {"baseline", "lr-sweep"};
  r.spec = {{"kind", "gpt-train"}, {"params", {{"lr", 3e-4}, {"layers", 12}, {"tags", {"a", "b"}}}}, {"ranks", 16}};
  r.argv = {"orrery-gpt", "--lr=3e-4", "with space", "$(not expanded)"};
  r.status = RunStatus::Failed;
  r.created = 1764077412.25;
  r.started = 1764077413.5;
  r.ended = 1764080000.75;
  r.reason = "rank 3 was killed by signal 9";
  r.failure = RankFailure{3, 0, 9, {"step 100 loss 2.5", "Killed", ""}};
  r.agent = AgentInfo{4242, "node-17", "ipc:///run/agent/control.sock", "ipc:///run/agent/feed.sock",
                      "ipc:///run/agent/telemetry.sock"};
  r.progress_done = 1234;
  r.progress_total = 5000;
  r.last_metrics = {{"loss", {{"step", 100}, {"value", 2.5}}}};
  r.dropped = std::uint64_t{1} << 40;
  r.rejected = 7;
  return r;
}

void expect_equal(const RunRecord& a, const RunRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.ranks, b.ranks);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.spec, b.spec);
  EXPECT_EQ(a.argv, b.argv);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.started, b.started);
  EXPECT_EQ(a.ended, b.ended);
  EXPECT_EQ(a.reason, b.reason);
  ASSERT_EQ(a.failure.has_value(), b.failure.has_value());
  if (a.failure) {
    EXPECT_EQ(a.failure->rank, b.failure->rank);
    EXPECT_EQ(a.failure->exit_code, b.failure->exit_code);
    EXPECT_EQ(a.failure->signal, b.failure->signal);
    EXPECT_EQ(a.failure->log_tail, b.failure->log_tail);
  }
  EXPECT_EQ(a.agent.pid, b.agent.pid);
  EXPECT_EQ(a.agent.host, b.agent.host);
  EXPECT_EQ(a.agent.control, b.agent.control);
  EXPECT_EQ(a.agent.feed, b.agent.feed);
  EXPECT_EQ(a.agent.telemetry, b.agent.telemetry);
  EXPECT_EQ(a.progress_done, b.progress_done);
  EXPECT_EQ(a.progress_total, b.progress_total);
  EXPECT_EQ(a.last_metrics, b.last_metrics);
  EXPECT_EQ(a.dropped, b.dropped);
  EXPECT_EQ(a.rejected, b.rejected);
}

// A minimal valid record's JSON, to be spoiled one field at a time.
json minimal_json() {
  return {{"format", "orrery-run"}, {"format_version", 1}, {"id", "r1"}, {"kind", "toy"}, {"status", "running"}};
}

// ---------------------------------------------------------------------------
// Status names

TEST(RunStatusNames, RoundTripAndFinality) {
  const std::vector<std::pair<RunStatus, const char*>> all = {
      {RunStatus::Starting, "starting"},   {RunStatus::Running, "running"}, {RunStatus::Succeeded, "succeeded"},
      {RunStatus::Failed, "failed"},       {RunStatus::Cancelled, "cancelled"}, {RunStatus::Lost, "lost"}};
  for (auto [s, name] : all) {
    EXPECT_EQ(to_string(s), name);
    EXPECT_EQ(parse_status(name), s);
  }
  EXPECT_FALSE(is_final(RunStatus::Starting));
  EXPECT_FALSE(is_final(RunStatus::Running));
  EXPECT_TRUE(is_final(RunStatus::Succeeded));
  EXPECT_TRUE(is_final(RunStatus::Failed));
  EXPECT_TRUE(is_final(RunStatus::Cancelled));
  EXPECT_TRUE(is_final(RunStatus::Lost));
  for (const char* bad : {"", "Running", "RUNNING", "done", "running ", "unknown"}) EXPECT_FALSE(parse_status(bad)) << bad;
}

// ---------------------------------------------------------------------------
// JSON form

TEST(RunRecordJson, RoundTripWithFailureAndAgent) {
  const RunRecord in = full_record();
  const json j = in.to_json();
  EXPECT_EQ(j.at("format"), "orrery-run");
  EXPECT_EQ(j.at("format_version"), 1);
  EXPECT_EQ(j.at("status"), "failed");
  EXPECT_EQ(j.at("failure").at("signal"), 9);
  EXPECT_EQ(j.at("agent").at("pid"), 4242);
  expect_equal(in, RunRecord::from_json(j));
  // Through text, as on disk.
  expect_equal(in, RunRecord::from_json(json::parse(j.dump(2))));
}

TEST(RunRecordJson, RoundTripOfADefaultRecord) {
  RunRecord in;
  in.id = "x";
  in.kind = "k";
  const json j = in.to_json();
  EXPECT_FALSE(j.contains("failure"));
  RunRecord out = RunRecord::from_json(j);
  expect_equal(in, out);
  EXPECT_FALSE(out.failure);
  EXPECT_EQ(out.status, RunStatus::Starting);
  EXPECT_EQ(out.target, "local");
}

TEST(RunRecordJson, OptionalFieldsTakeDefaults) {
  RunRecord r = RunRecord::from_json(minimal_json());
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.kind, "toy");
  EXPECT_EQ(r.status, RunStatus::Running);
  EXPECT_EQ(r.target, "local");
  EXPECT_EQ(r.ranks, 0);
  EXPECT_TRUE(r.tags.empty());
  EXPECT_TRUE(r.spec.is_object());
  EXPECT_FALSE(r.failure);
  EXPECT_EQ(r.agent.pid, 0);
  EXPECT_EQ(r.dropped, 0u);
  // Unknown fields from a newer writer are ignored.
  json j = minimal_json();
  j["future_field"] = {1, 2, 3};
  EXPECT_NO_THROW(RunRecord::from_json(j));
}

struct BadRecord {
  const char* name;
  json value;
  const char* why;  // a piece of the message
};

std::vector<BadRecord> bad_records() {
  std::vector<BadRecord> t;
  t.push_back({"array", json::array({1, 2}), "not a JSON object"});
  t.push_back({"string", "orrery-run", "not a JSON object"});
  t.push_back({"null", nullptr, "not a JSON object"});
  t.push_back({"number", 3, "not a JSON object"});
  auto spoil = [](auto f) {
    json j = minimal_json();
    f(j);
    return j;
  };
  t.push_back({"wrong format", spoil([](json& j) { j["format"] = "orrery-project"; }), "format"});
  t.push_back({"missing format", spoil([](json& j) { j.erase("format"); }), "format"});
  t.push_back({"format not a string", spoil([](json& j) { j["format"] = 5; }), "format"});
  t.push_back({"format null", spoil([](json& j) { j["format"] = nullptr; }), "format"});
  t.push_back({"wrong version", spoil([](json& j) { j["format_version"] = 2; }), "format_version"});
  t.push_back({"version zero", spoil([](json& j) { j["format_version"] = 0; }), "format_version"});
  t.push_back({"missing version", spoil([](json& j) { j.erase("format_version"); }), "format_version"});
  t.push_back({"version as string", spoil([](json& j) { j["format_version"] = "1"; }), "format_version"});
  t.push_back({"version as object", spoil([](json& j) { j["format_version"] = json::object(); }), "format_version"});
  t.push_back({"unknown status", spoil([](json& j) { j["status"] = "exploded"; }), "exploded"});
  t.push_back({"missing status", spoil([](json& j) { j.erase("status"); }), "status"});
  t.push_back({"status not a string", spoil([](json& j) { j["status"] = 3; }), "run.json"});
  t.push_back({"missing id", spoil([](json& j) { j.erase("id"); }), "id"});
  t.push_back({"id not a string", spoil([](json& j) { j["id"] = 17; }), "run.json"});
  t.push_back({"missing kind", spoil([](json& j) { j.erase("kind"); }), "kind"});
  t.push_back({"ranks not a number", spoil([](json& j) { j["ranks"] = "four"; }), "run.json"});
  t.push_back({"tags not a list", spoil([](json& j) { j["tags"] = "a,b"; }), "run.json"});
  t.push_back({"argv of numbers", spoil([](json& j) { j["argv"] = {1, 2}; }), "run.json"});
  t.push_back({"failure rank as string", spoil([](json& j) { j["failure"] = {{"rank", "3"}}; }), "run.json"});
  t.push_back({"agent pid as string", spoil([](json& j) { j["agent"] = {{"pid", "x"}}; }), "run.json"});
  t.push_back({"dropped as string", spoil([](json& j) { j["dropped"] = "many"; }), "run.json"});
  return t;
}

TEST(RunRecordJson, MalformedRecordsThrowRunRecordError) {
  for (const auto& bad : bad_records()) {
    SCOPED_TRACE(bad.name);
    try {
      RunRecord::from_json(bad.value);
      ADD_FAILURE() << bad.name << ": accepted";
    } catch (const RunRecordError& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
      EXPECT_CONTAINS(e.what(), bad.why);
    } catch (const std::exception& e) {
      ADD_FAILURE() << bad.name << ": threw something other than RunRecordError: " << e.what();
    }
  }
}

// ---------------------------------------------------------------------------
// Files

TEST_F(RunRecordFiles, WriteThenRead) {
  const RunRecord in = full_record();
  write_run_record(dir_, in);
  expect_equal(in, read_run_record(dir_));
  EXPECT_EQ(entries(), std::vector<std::string>{"run.json"});
  // Human-readable: indented JSON ending in a newline.
  std::ifstream f(dir_ / "run.json");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\n  \"format\": \"orrery-run\""), std::string::npos) << text;
}

TEST_F(RunRecordFiles, RewriteReplacesAndLeavesNoTemporary) {
  RunRecord r = full_record();
  write_run_record(dir_, r);
  r.status = RunStatus::Succeeded;
  r.failure.reset();
  r.reason.clear();
  write_run_record(dir_, r);
  RunRecord back = read_run_record(dir_);
  EXPECT_EQ(back.status, RunStatus::Succeeded);
  EXPECT_FALSE(back.failure);
  EXPECT_EQ(entries(), std::vector<std::string>{"run.json"});
}

TEST_F(RunRecordFiles, ConcurrentReaderAlwaysSeesACompleteRecord) {
  RunRecord r = full_record();
  r.progress_done = 0;
  r.reason.clear();
  write_run_record(dir_, r);
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::vector<std::string> errors;
  double last_seen = -1;
  bool went_backwards = false;
  std::thread reader([&] {
    while (writing.load() || reads.load() == 0) {
      try {
        RunRecord got = read_run_record(dir_);
        if (got.id != r.id) errors.push_back("wrong id " + got.id);
        if (got.progress_done < last_seen) went_backwards = true;
        last_seen = got.progress_done;
        // The size-varying field must be consistent with the counter it was written with.
        if (got.reason.size() != static_cast<std::size_t>(got.progress_done) % 997)
          errors.push_back("torn record at " + std::to_string(got.progress_done));
      } catch (const std::exception& e) {
        errors.push_back(e.what());
      }
      reads.fetch_add(1);
    }
  });
  for (int i = 0; i < 500; ++i) {
    r.progress_done = i;
    r.reason.assign(static_cast<std::size_t>(i) % 997, 'r');  // sizes vary, so a torn read cannot parse by luck
    r.failure->log_tail.assign(static_cast<std::size_t>(i % 50), std::string(100, 'x'));
    write_run_record(dir_, r);
  }
  writing = false;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(errors.empty()) << errors.size() << " bad reads, first: " << errors.front();
  EXPECT_FALSE(went_backwards);
  EXPECT_EQ(read_run_record(dir_).progress_done, 499);
  EXPECT_EQ(entries(), std::vector<std::string>{"run.json"});
}

TEST_F(RunRecordFiles, ReadOfMissingOrGarbageThrows) {
  EXPECT_THROW(read_run_record(dir_), RunRecordError);                 // no run.json
  EXPECT_THROW(read_run_record(dir_ / "no-such-run"), RunRecordError);  // no folder
  for (const char* text : {"", "garbage", "{\"format\": \"orrery-run\"", "[1,2,3]", "{}", "\xff\xfe{}",
                           "{\"format\":\"orrery-run\",\"format_version\":1}"}) {
    SCOPED_TRACE(text);
    std::ofstream(dir_ / "run.json", std::ios::trunc) << text;
    try {
      read_run_record(dir_);
      ADD_FAILURE() << "accepted";
    } catch (const RunRecordError& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a RunRecordError: " << e.what();
    }
  }
  // A truncated copy of a real record.
  write_run_record(dir_, full_record());
  std::ifstream f(dir_ / "run.json");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  f.close();
  std::ofstream(dir_ / "run.json", std::ios::trunc) << text.substr(0, text.size() / 2);
  EXPECT_THROW(read_run_record(dir_), RunRecordError);
}

TEST_F(RunRecordFiles, WriteIntoMissingFolderThrows) {
  EXPECT_THROW(write_run_record(dir_ / "missing", full_record()), RunRecordError);
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST_F(RunRecordFiles, WriteFileAtomically) {
  write_file_atomically(dir_ / "f.txt", "first");
  write_file_atomically(dir_ / "f.txt", "second, longer");
  write_file_atomically(dir_ / "f.txt", "3");
  std::ifstream f(dir_ / "f.txt");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "3");
  EXPECT_EQ(entries(), std::vector<std::string>{"f.txt"});
  // Replacing a folder fails cleanly, leaving the folder and no temporary.
  fs::create_directory(dir_ / "d");
  fs::create_directory(dir_ / "d" / "inner");
  EXPECT_THROW(write_file_atomically(dir_ / "d", "x"), RunRecordError);
  EXPECT_TRUE(fs::is_directory(dir_ / "d"));
  auto names = entries();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"d", "f.txt"}));
}

}  // namespace
