// run.h5 (core/runfiles/run_h5_writer.cpp, run_h5_reader.cpp): the name rule, a round trip
// of every record kind, names the writer refuses, and new series after the first flush.
// Live and crashed writers: test_run_h5_live.cpp; damaged files and CSV: test_run_h5_files.cpp.
#include "run_h5_test_support.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;
using namespace orrery::run_h5_test;

// ---------------------------------------------------------------------------
// Names

TEST(RunH5Names, Rule) {
  for (const char* ok : {"loss", "train/loss", "a.b-c_D9", "x/y/z", "..a", "a..", ".hidden"})
    EXPECT_TRUE(valid_series_name(ok)) << ok;
  EXPECT_TRUE(valid_series_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_series_name(std::string(65, 'a')));
  std::string long_ok = "a";
  for (int i = 0; i < 99; ++i) long_ok += "/a";  // 199 characters
  long_ok += "b";
  ASSERT_EQ(long_ok.size(), 200u);
  EXPECT_TRUE(valid_series_name(long_ok));
  EXPECT_FALSE(valid_series_name(long_ok + "c"));
  for (const char* bad : {"", "../x", "a//b", "/a", "a/", ".", "..", "a/./b", "a/../b", "a b", "loss ", "tab\t",
                          "é", "a\\b", "a:b", "a\nb", "*", "a/b/"})
    EXPECT_FALSE(valid_series_name(bad)) << "'" << bad << "'";
  EXPECT_FALSE(valid_series_name(std::string_view("a\0b", 3)));
}

// ---------------------------------------------------------------------------
// Round trip

TEST_F(RunH5Test, RoundTripEverything) {
  const std::string long_span_name = std::string(46, 'n') + "\xc3\xa9\xc3\xa9";  // 50 bytes, cut inside "é"
  const std::string long_text(300, 't');
  {
    RunH5Writer w(file_, test_info());
    // Two flushes' worth for "loss" so the data crosses a flush and several chunks.
    ASSERT_TRUE(append_points(w, "metrics", 0, "loss", 0, 30000));
    ASSERT_TRUE(append_points(w, "metrics", 1, "loss", 0, 10, 2.0));
    ASSERT_TRUE(append_points(w, "metrics", 0, "train/acc", 0, 5));
    ASSERT_TRUE(append_points(w, "system", 0, "cpu.percent", 0, 3));
    EXPECT_EQ(w.pending_points(), 30018u);
    w.flush();
    EXPECT_EQ(w.pending_points(), 0u);
    std::vector<std::int64_t> steps(70000);
    std::vector<double> times(70000), values(70000);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      steps[i] = 30000 + static_cast<std::int64_t>(i);
      times[i] = 1.7e9 + static_cast<double>(steps[i]) * 0.25;
      values[i] = std::sin(static_cast<double>(steps[i]) * 0.01);
    }
    ASSERT_TRUE(w.append_series("metrics", 0, "loss", steps, times, values));
    ASSERT_TRUE(w.append_reduced("loss", 0, 1.7e9, 1.5, 1.0, 2.0, 2));
    ASSERT_TRUE(w.append_reduced("loss", 1, 1.7e9 + 1, -0.5, -1.0, 0.0, 4));
    std::vector<SpanRecord> spans = {{"compute", "forward", 0, 10.0, 10.5},
                                     {"communication", long_span_name, 0, 10.5, 10.75},
                                     {"io", "", 1, 11.0, 11.0}};
    w.append_spans(2, spans);
    w.append_event({1.7e9, -1, 0, "agent.started", "4 ranks"});
    w.append_event({1.7e9 + 5, 3, 42, "checkpoint", long_text});
    w.set_attribute("status", "running");
    w.set_attribute("status", "succeeded");  // the last value wins
    w.set_attribute("note", "");
    w.close();
    w.close();  // idempotent
  }
  keep(file_, "roundtrip.h5");

  RunH5Reader r(file_);
  EXPECT_EQ(r.info().run_id, "run-0001");
  EXPECT_EQ(r.info().kind, "gpt-train");
  EXPECT_EQ(r.info().ranks, 4);

  std::vector<SeriesKey> expected = {{"metrics", 0, "loss"},
                                     {"metrics", 0, "train/acc"},
                                     {"metrics", 1, "loss"},
                                     {"system", 0, "cpu.percent"}};
  EXPECT_EQ(r.list_series(), expected);
  expect_points(r.read_series({"metrics", 0, "loss"}), 100000);
  expect_points(r.read_series({"metrics", 1, "loss"}), 10, 2.0);
  expect_points(r.read_series({"metrics", 0, "train/acc"}), 5);
  expect_points(r.read_series({"system", 0, "cpu.percent"}), 3);

  EXPECT_EQ(r.reduced_names(), std::vector<std::string>{"loss"});
  ReducedData red = r.read_reduced("loss");
  EXPECT_EQ(red.steps, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(red.times, (std::vector<double>{1.7e9, 1.7e9 + 1}));
  EXPECT_EQ(red.mean, (std::vector<double>{1.5, -0.5}));
  EXPECT_EQ(red.min, (std::vector<double>{1.0, -1.0}));
  EXPECT_EQ(red.max, (std::vector<double>{2.0, 0.0}));
  EXPECT_EQ(red.count, (std::vector<std::int32_t>{2, 4}));

  EXPECT_EQ(r.span_ranks(), std::vector<int>{2});
  auto got = r.read_spans(2);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, "compute");
  EXPECT_EQ(got[0].name, "forward");
  EXPECT_EQ(got[0].start, 10.0);
  EXPECT_EQ(got[0].end, 10.5);
  EXPECT_EQ(got[1].kind, "communication");  // 13 bytes, fits in 16
  EXPECT_EQ(got[1].name, std::string(46, 'n') + "\xc3\xa9");  // 48 bytes: cut between characters
  EXPECT_EQ(got[2].name, "");
  EXPECT_EQ(got[2].step, 1);

  auto events = r.read_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rank, -1);
  EXPECT_EQ(events[0].kind, "agent.started");
  EXPECT_EQ(events[0].text, "4 ranks");
  EXPECT_EQ(events[1].time, 1.7e9 + 5);
  EXPECT_EQ(events[1].rank, 3);
  EXPECT_EQ(events[1].step, 42);
  EXPECT_EQ(events[1].text, std::string(kEventTextBytes, 't'));

  auto attrs = r.attributes();
  EXPECT_EQ(attrs["format"], "orrery-run-h5");
  EXPECT_EQ(attrs["format_version"], "1");
  EXPECT_EQ(attrs["run_id"], "run-0001");
  EXPECT_EQ(attrs["kind"], "gpt-train");
  EXPECT_EQ(attrs["ranks"], "4");
  EXPECT_EQ(attrs["status"], "succeeded");
  EXPECT_EQ(attrs["note"], "");

  EXPECT_THROW(r.read_series({"metrics", 0, "nope"}), RunFileError);
  EXPECT_THROW(r.read_series({"metrics", 9, "loss"}), RunFileError);
  EXPECT_THROW(r.read_series({"other", 0, "loss"}), RunFileError);
  EXPECT_THROW(r.read_reduced("nope"), RunFileError);
  EXPECT_THROW(r.read_spans(0), RunFileError);
}

TEST_F(RunH5Test, EmptyRunIsValid) {
  { RunH5Writer w(file_, {"r", "command", 1}); }
  RunH5Reader r(file_);
  EXPECT_TRUE(r.list_series().empty());
  EXPECT_TRUE(r.reduced_names().empty());
  EXPECT_TRUE(r.span_ranks().empty());
  EXPECT_TRUE(r.read_events().empty());
  EXPECT_EQ(r.info().kind, "command");
}

TEST_F(RunH5Test, FlushIsCheapWhenIdle) {
  RunH5Writer w(file_, test_info());
  ASSERT_TRUE(append_points(w, "metrics", 0, "loss", 0, 10));
  w.flush();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) w.flush();
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::milliseconds(200));  // ~nanoseconds each; generous for sanitizers
}

TEST_F(RunH5Test, WriterErrorsAreClear) {
  try {
    RunH5Writer w(dir_ / "no-such-folder" / "run.h5", test_info());
    FAIL() << "expected RunFileError";
  } catch (const RunFileError& e) {
    EXPECT_CONTAINS(e.what(), "no-such-folder");
  }
}

// ---------------------------------------------------------------------------
// Names at the writer

TEST_F(RunH5Test, InvalidNamesAreRejectedAndCounted) {
  RunH5Writer w(file_, test_info());
  std::uint64_t expected = 0;
  for (const char* bad : {"", "../x", "a//b", "with space", "x/../y", "/abs", "trailing/"}) {
    EXPECT_FALSE(append_points(w, "metrics", 0, bad, 0, 3)) << bad;
    EXPECT_EQ(w.rejected_names(), ++expected);
    EXPECT_FALSE(w.append_reduced(bad, 0, 0, 0, 0, 0, 1)) << bad;
    EXPECT_EQ(w.rejected_names(), ++expected);
  }
  EXPECT_FALSE(append_points(w, "metrics", -1, "loss", 0, 3));  // no such rank
  EXPECT_EQ(w.rejected_names(), ++expected);
  std::vector<std::int64_t> steps{1, 2};
  std::vector<double> one{1.0};
  EXPECT_FALSE(w.append_series("metrics", 0, "loss", steps, one, one));  // lengths differ
  EXPECT_EQ(w.rejected_names(), ++expected);
  w.append_spans(-2, std::vector<SpanRecord>{{"compute", "x", 0, 0, 1}});
  EXPECT_EQ(w.rejected_names(), ++expected);
  EXPECT_THROW(append_points(w, "Metrics", 0, "loss", 0, 1), std::invalid_argument);
  EXPECT_THROW(w.set_attribute("format", "x"), std::invalid_argument);
  EXPECT_THROW(w.set_attribute("bad key", "x"), std::invalid_argument);
  EXPECT_EQ(w.pending_points(), 0u);
  w.close();

  RunH5Reader r(file_);
  EXPECT_TRUE(r.list_series().empty());
  EXPECT_TRUE(r.reduced_names().empty());
  EXPECT_TRUE(r.span_ranks().empty());
}

TEST_F(RunH5Test, ConflictingNamesAreRejected) {
  RunH5Writer w(file_, test_info());
  EXPECT_TRUE(append_points(w, "metrics", 0, "a", 0, 1));
  EXPECT_FALSE(append_points(w, "metrics", 0, "a/b", 0, 1));  // "a" is a dataset, cannot be a group
  EXPECT_TRUE(append_points(w, "metrics", 0, "x/y", 0, 1));
  EXPECT_FALSE(append_points(w, "metrics", 0, "x", 0, 1));  // "x" is a group
  EXPECT_TRUE(append_points(w, "metrics", 0, "x/z", 0, 1));
  EXPECT_TRUE(append_points(w, "metrics", 1, "a/b", 0, 1));  // another rank: another namespace
  EXPECT_TRUE(append_points(w, "system", 0, "a/b", 0, 1));   // another group too
  EXPECT_TRUE(w.append_reduced("a", 0, 0, 0, 0, 0, 1));
  EXPECT_FALSE(w.append_reduced("a/b", 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(w.rejected_names(), 3u);
  w.flush();
  // Still refused after the first names reached the file.
  EXPECT_FALSE(append_points(w, "metrics", 0, "a/c", 0, 1));
  EXPECT_TRUE(append_points(w, "metrics", 0, "a", 1, 1));
  w.close();

  RunH5Reader r(file_);
  std::vector<SeriesKey> expected = {{"metrics", 0, "a"},   {"metrics", 0, "x/y"}, {"metrics", 0, "x/z"},
                                     {"metrics", 1, "a/b"}, {"system", 0, "a/b"}};
  EXPECT_EQ(r.list_series(), expected);
  expect_points(r.read_series({"metrics", 0, "a"}), 2);
}

// ---------------------------------------------------------------------------
// New series after the first flush: the writer leaves and re-enters SWMR mode.

TEST_F(RunH5Test, ReopenForNewSeriesKeepsOldData) {
  RunH5Writer w(file_, test_info());
  ASSERT_TRUE(append_points(w, "metrics", 0, "loss", 0, 1000));
  w.append_event({1.0, 0, 0, "a", "first"});
  w.flush();
  for (int i = 0; i < 20; ++i) {  // a new series, a new span rank or an attribute on every flush
    ASSERT_TRUE(append_points(w, "metrics", 0, "loss", 1000 + i * 10, 10));
    ASSERT_TRUE(append_points(w, "metrics", i % 3, "new/s" + std::to_string(i), 0, 7));
    w.append_spans(i, std::vector<SpanRecord>{{"compute", "x", i, 1.0, 2.0}});
    w.set_attribute("flushes", std::to_string(i));
    w.flush();
  }
  w.append_event({2.0, 0, 0, "b", "second"});
  w.close();

  RunH5Reader r(file_);
  expect_points(r.read_series({"metrics", 0, "loss"}), 1200);
  for (int i = 0; i < 20; ++i) expect_points(r.read_series({"metrics", i % 3, "new/s" + std::to_string(i)}), 7);
  EXPECT_EQ(r.list_series().size(), 21u);
  EXPECT_EQ(r.span_ranks().size(), 20u);
  EXPECT_EQ(r.read_events().size(), 2u);
  EXPECT_EQ(r.attributes()["flushes"], "19");
}

// New names trickling in one per flush while hundreds of series exist: each reopen
// must not cost a pass over every existing series, and nothing gets lost.
TEST_F(RunH5Test, ManySeriesAndManyReopens) {
  RunH5Writer w(file_, test_info());
  for (int s = 0; s < 500; ++s) ASSERT_TRUE(append_points(w, "metrics", s % 16, "m" + std::to_string(s), 0, 3));
  w.flush();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(append_points(w, "metrics", 0, "m0", 3 + i, 1));
    ASSERT_TRUE(append_points(w, "system", i % 4, "late" + std::to_string(i), 0, 2));
    w.flush();
  }
  double per_flush_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 50;
  w.close();
  std::printf("flush with one new series among 500: %.2f ms\n", per_flush_ms);
  RunH5Reader r(file_);
  auto keys = r.list_series();
  EXPECT_EQ(keys.size(), 550u);
  expect_points(r.read_series({"metrics", 0, "m0"}), 53);
  expect_points(r.read_series({"metrics", 15, "m15"}), 3);
  expect_points(r.read_series({"system", 1, "late49"}), 2);
}

}  // namespace
