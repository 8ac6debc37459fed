#include "runfiles/run_record.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace orrery::runfiles {

namespace {
constexpr std::array<std::pair<RunStatus, const char*>, 6> kStatusNames{{
    {RunStatus::Starting, "starting"},
    {RunStatus::Running, "running"},
    {RunStatus::Succeeded, "succeeded"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Cancelled, "cancelled"},
    {RunStatus::Lost, "lost"},
}};
}  // namespace

std::string to_string(RunStatus status) {
  for (auto [s, name] : kStatusNames)
    if (s == status) return name;
  return "unknown";
}

std::optional<RunStatus> parse_status(std::string_view text) {
  for (auto [s, name] : kStatusNames)
    if (text == name) return s;
  return std::nullopt;
}

bool is_final(RunStatus status) {
  return status == RunStatus::Succeeded || status == RunStatus::Failed || status == RunStatus::Cancelled ||
         status == RunStatus::Lost;
}

nlohmann::json RunRecord::to_json() const {
  nlohmann::json j;
  j["format"] = "orrery-run";
  j["format_version"] = 1;
  j["id"] = id;
  j["name"] = name;
  j["kind"] = kind;
  j["target"] = target;
  j["ranks"] = ranks;
  j["tags"] = tags;
  j["spec"] = spec;
  j["argv"] = argv;
  j["status"] = to_string(status);
  j["created"] = created;
  j["started"] = started;
  j["ended"] = ended;
  j["reason"] = reason;
  if (failure) {
    j["failure"] = {{"rank", failure->rank},
                    {"exit_code", failure->exit_code},
                    {"signal", failure->signal},
                    {"log_tail", failure->log_tail}};
  }
  j["agent"] = {{"pid", agent.pid}, {"host", agent.host}, {"control", agent.control},
                {"feed", agent.feed}, {"telemetry", agent.telemetry}};
  j["progress"] = {{"done", progress_done}, {"total", progress_total}};
  j["last_metrics"] = last_metrics;
  j["dropped"] = dropped;
  j["rejected"] = rejected;
  if (!scheduler.empty()) j["scheduler"] = scheduler;
  return j;
}

RunRecord RunRecord::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw RunRecordError("run.json is not a JSON object");
  // Checked by hand: j.value() throws nlohmann's type_error when the field has another type.
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || *format != "orrery-run")
    throw RunRecordError("run.json: not an Orrery run record (format field)");
  auto version = j.find("format_version");
  if (version == j.end() || !version->is_number() || *version != 1)
    throw RunRecordError("run.json: format_version " + (version == j.end() ? std::string("(missing)") : version->dump()) +
                         " is not supported by this Orrery (expected 1)");
  try {
    RunRecord r;
    r.id = j.at("id").get<std::string>();
    r.name = j.value("name", "");
    r.kind = j.at("kind").get<std::string>();
    r.target = j.value("target", "local");
    r.ranks = j.value("ranks", 0);
    r.tags = j.value("tags", std::vector<std::string>{});
    r.spec = j.value("spec", nlohmann::json::object());
    r.argv = j.value("argv", std::vector<std::string>{});
    auto st = parse_status(j.value("status", ""));
    if (!st) throw RunRecordError("run.json: unknown status '" + j.value("status", "") + "'");
    r.status = *st;
    r.created = j.value("created", 0.0);
    r.started = j.value("started", 0.0);
    r.ended = j.value("ended", 0.0);
    r.reason = j.value("reason", "");
    if (j.contains("failure") && j["failure"].is_object()) {
      const auto& f = j["failure"];
      r.failure = RankFailure{f.value("rank", -1), f.value("exit_code", 0), f.value("signal", 0),
                              f.value("log_tail", std::vector<std::string>{})};
    }
    if (j.contains("agent") && j["agent"].is_object()) {
      const auto& a = j["agent"];
      r.agent = AgentInfo{a.value("pid", 0), a.value("host", ""), a.value("control", ""), a.value("feed", ""),
                          a.value("telemetry", "")};
    }
    if (j.contains("progress") && j["progress"].is_object()) {
      r.progress_done = j["progress"].value("done", 0.0);
      r.progress_total = j["progress"].value("total", 0.0);
    }
    r.last_metrics = j.value("last_metrics", nlohmann::json::object());
    r.dropped = j.value("dropped", std::uint64_t{0});
    r.rejected = j.value("rejected", std::uint64_t{0});
    r.scheduler = j.value("scheduler", "");
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw RunRecordError(std::string("run.json: ") + e.what());
  }
}

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RunRecordError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw RunRecordError("cannot write " + tmp.string() + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw RunRecordError("cannot replace " + path.string() + ": " + std::strerror(err));
  }
}

void write_run_record(const std::filesystem::path& run_dir, const RunRecord& record) {
  write_file_atomically(run_dir / "run.json", record.to_json().dump(2) + "\n");
}

RunRecord read_run_record(const std::filesystem::path& run_dir) {
  std::ifstream in(run_dir / "run.json");
  if (!in) throw RunRecordError("cannot open " + (run_dir / "run.json").string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RunRecordError((run_dir / "run.json").string() + " is not valid JSON");
  return RunRecord::from_json(j);
}

}  // namespace orrery::runfiles
