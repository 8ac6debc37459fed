// run.h5: writer, reader and CSV export (core/runfiles/run_h5_*.cpp, csv_export.cpp).
//
// Every test works in a fresh temporary folder. Tests that need a live or crashed
// writer run the writer in a forked child: HDF5 shares one open file per process,
// so a reader in the writer's own process would read the writer's cache instead of
// the disk and prove nothing about SWMR.
//
// ORRERY_KEEP_TEST_FILE=<folder> keeps two files there for tests/e2e/check_run_h5.py:
// roundtrip.h5 (closed cleanly) and crashed.h5 (writer _exit()ed without closing).

#include "test_support.hpp"
#include <gtest/gtest.h>

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

#include "runfiles/csv_export.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_h5_writer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;


class RunH5Test : public ::testing::Test {
 protected:
  orrery::test_support::TempDir tmp_{"orrery-run-h5"};
  static void keep(const fs::path& file, const char* as) {
    if (const char* keep_dir = std::getenv("ORRERY_KEEP_TEST_FILE"); keep_dir && *keep_dir) {
      fs::create_directories(keep_dir);
      fs::copy_file(file, fs::path(keep_dir) / as, fs::copy_options::overwrite_existing);
    }
  }
  fs::path dir_ = tmp_.path();
  fs::path file_ = dir_ / "run.h5";
};

RunH5Info test_info() { return {"run-0001", "gpt-train", 4}; }

// Appends n points step0..step0+n-1 (time = 1e9 + step, value = f(step)) to one series.
bool append_points(RunH5Writer& w, std::string_view group, int rank, std::string_view name, std::int64_t step0,
                   std::size_t n, double scale = 1.0) {
  std::vector<std::int64_t> steps(n);
  std::vector<double> times(n), values(n);
  for (std::size_t i = 0; i < n; ++i) {
    steps[i] = step0 + static_cast<std::int64_t>(i);
    times[i] = 1.7e9 + static_cast<double>(steps[i]) * 0.25;
    values[i] = scale * std::sin(static_cast<double>(steps[i]) * 0.01);
  }
  return w.append_series(group, rank, name, steps, times, values);
}

// Checks that a series holds exactly steps 0..n-1 as append_points wrote them.
void expect_points(const SeriesData& d, std::size_t n, double scale = 1.0) {
  ASSERT_EQ(d.steps.size(), n);
  ASSERT_EQ(d.times.size(), n);
  ASSERT_EQ(d.values.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(d.steps[i], static_cast<std::int64_t>(i)) << "row " << i;
    ASSERT_EQ(d.times[i], 1.7e9 + static_cast<double>(i) * 0.25) << "row " << i;
    ASSERT_EQ(d.values[i], scale * std::sin(static_cast<double>(i) * 0.01)) << "row " << i;
  }
}

// True when the series is a prefix 0..k-1 of what append_points writes (what a live
// reader may see: any flushed prefix, never garbage or fill values).
bool is_clean_prefix(const SeriesData& d) {
  for (std::size_t i = 0; i < d.steps.size(); ++i)
    if (d.steps[i] != static_cast<std::int64_t>(i) || d.times[i] != 1.7e9 + static_cast<double>(i) * 0.25)
      return false;
  return true;
}

// Runs body in a forked child that ends with _exit(body's result); 100 + n when it threw.
pid_t fork_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      rc = 100;
    } catch (...) {
      rc = 101;
    }
    ::_exit(rc);
  }
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1000;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every read the reader offers, as a consumer would do them; throws RunFileError on failure.
std::size_t read_everything(const RunH5Reader& r) {
  std::size_t rows = 0;
  (void)r.info();
  (void)r.attributes();
  for (const auto& k : r.list_series()) rows += r.read_series(k).steps.size();
  for (const auto& n : r.reduced_names()) rows += r.read_reduced(n).steps.size();
  for (int rank : r.span_ranks()) rows += r.read_spans(rank).size();
  rows += r.read_events().size();
  return rows;
}

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

// ---------------------------------------------------------------------------
// A reader opened while the writer (another process) lives.

class LiveWriter {
 public:
  // steps: what the child does on each request, in order.
  LiveWriter(const fs::path& file, std::vector<std::function<void(RunH5Writer&)>> steps) {
    int to_child[2], to_parent[2];
    if (::pipe(to_child) != 0 || ::pipe(to_parent) != 0) throw std::runtime_error("pipe");
    pid_ = fork_child([&]() {
      ::close(to_child[1]);
      ::close(to_parent[0]);
      RunH5Writer w(file, test_info());
      char c = 0;
      for (auto& step : steps) {
        if (::read(to_child[0], &c, 1) != 1) return 2;
        step(w);
        if (::write(to_parent[1], "k", 1) != 1) return 3;
      }
      if (::read(to_child[0], &c, 1) != 1) return 4;  // wait for the parent to release us
      w.close();
      return 0;
    });
    ::close(to_child[0]);
    ::close(to_parent[1]);
    out_ = to_child[1];
    in_ = to_parent[0];
  }
  ~LiveWriter() {
    if (out_ >= 0) ::close(out_);
    if (in_ >= 0) ::close(in_);
    if (pid_ > 0) wait_child(pid_);
  }
  // Runs the child's next step and waits until it is done.
  void step() {
    char c = 0;
    ASSERT_EQ(::write(out_, "n", 1), 1);
    ASSERT_EQ(::read(in_, &c, 1), 1);
  }
  // Lets the child close its writer and exit; returns its exit code.
  int finish() {
    char c = 'q';
    EXPECT_EQ(::write(out_, &c, 1), 1);
    int rc = wait_child(pid_);
    pid_ = -1;
    return rc;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
};

TEST_F(RunH5Test, LiveReaderSeesFlushesAndNewSeries) {
  LiveWriter writer(file_, {
                               [](RunH5Writer& w) {
                                 append_points(w, "metrics", 0, "loss", 0, 100);
                                 w.flush();
                               },
                               [](RunH5Writer& w) {
                                 append_points(w, "metrics", 0, "loss", 100, 100);
                                 append_points(w, "metrics", 0, "loss", 200, 5);  // not flushed yet
                               },
                               [](RunH5Writer& w) {
                                 w.flush();
                                 w.append_event({3.0, 0, 1, "note", "hello"});
                                 w.flush();
                               },
                               [](RunH5Writer& w) {  // new series, a new rank group, spans, attribute
                                 append_points(w, "metrics", 0, "loss", 205, 10);
                                 append_points(w, "metrics", 7, "grad/norm", 0, 50);
                                 w.append_spans(3, std::vector<SpanRecord>{{"compute", "fwd", 0, 1.0, 2.0}});
                                 w.append_reduced("loss", 0, 1.0, 0.5, 0.0, 1.0, 2);
                                 w.set_attribute("status", "running");
                                 w.flush();
                               },
                               [](RunH5Writer& w) {
                                 append_points(w, "metrics", 7, "grad/norm", 50, 50);
                                 w.flush();
                               },
                           });
  writer.step();
  RunH5Reader r(file_);  // opened while the writer is live
  EXPECT_EQ(r.list_series(), (std::vector<SeriesKey>{{"metrics", 0, "loss"}}));
  expect_points(r.read_series({"metrics", 0, "loss"}), 100);
  EXPECT_TRUE(r.read_events().empty());

  writer.step();  // appended, not flushed: invisible
  expect_points(r.read_series({"metrics", 0, "loss"}), 100);

  writer.step();
  expect_points(r.read_series({"metrics", 0, "loss"}), 205);
  ASSERT_EQ(r.read_events().size(), 1u);
  EXPECT_EQ(r.read_events()[0].text, "hello");

  writer.step();  // the writer reopened the file to create objects
  EXPECT_EQ(r.list_series(), (std::vector<SeriesKey>{{"metrics", 0, "loss"}, {"metrics", 7, "grad/norm"}}));
  expect_points(r.read_series({"metrics", 0, "loss"}), 215);
  expect_points(r.read_series({"metrics", 7, "grad/norm"}), 50);
  EXPECT_EQ(r.span_ranks(), std::vector<int>{3});
  EXPECT_EQ(r.read_spans(3).size(), 1u);
  EXPECT_EQ(r.reduced_names(), std::vector<std::string>{"loss"});
  EXPECT_EQ(r.attributes()["status"], "running");

  writer.step();
  expect_points(r.read_series({"metrics", 7, "grad/norm"}), 100);

  // A second reader opened now agrees.
  RunH5Reader r2(file_);
  EXPECT_EQ(read_everything(r2), read_everything(r));

  EXPECT_EQ(writer.finish(), 0);
  expect_points(r.read_series({"metrics", 7, "grad/norm"}), 100);
}

// A reader polling as fast as it can while the writer appends and creates series:
// calls may fail while the writer is outside SWMR mode (RunFileError), but what a call
// returns is always a clean prefix of what was written.
TEST_F(RunH5Test, PollingReaderOnlySeesCleanPrefixes) {
  pid_t pid = fork_child([&]() {
    RunH5Writer w(file_, test_info());
    const int series = 40;
    std::vector<std::int64_t> next(series, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    for (int flush = 0; std::chrono::steady_clock::now() < deadline; ++flush) {
      int live = std::min(series, 1 + flush / 4);  // a new series every 4th flush
      for (int s = 0; s < live; ++s) {
        append_points(w, "metrics", s % 4, "s" + std::to_string(s), next[static_cast<std::size_t>(s)], 500);
        next[static_cast<std::size_t>(s)] += 500;
      }
      w.flush();
    }
    w.close();
    return 0;
  });
  std::optional<RunH5Reader> reader;
  std::size_t good = 0, failed = 0, rows_seen = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
    try {
      // One long-lived reader, and now and then a fresh one beside it.
      if (!reader) reader.emplace(file_);
      std::optional<RunH5Reader> fresh;
      if (good % 7 == 3) fresh.emplace(file_);
      const RunH5Reader& r = fresh ? *fresh : *reader;
      for (const auto& k : r.list_series()) {
        SeriesData d = r.read_series(k);
        ASSERT_TRUE(is_clean_prefix(d)) << k.name << " rows " << d.steps.size();
        rows_seen = std::max(rows_seen, d.steps.size());
      }
      ++good;
    } catch (const RunFileError& e) {
      ++failed;  // file not created yet (or, with another writer, not in SWMR mode for a moment)
      if (std::getenv("ORRERY_TEST_VERBOSE")) std::printf("reader: %s\n", e.what());
      reader.reset();
    }
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GT(good, 0u);
  EXPECT_GT(rows_seen, 0u);
  RunH5Reader r(file_);
  for (const auto& k : r.list_series()) EXPECT_TRUE(is_clean_prefix(r.read_series(k)));
  std::printf("polling reader: %zu good rounds, %zu failed opens/reads, longest series seen %zu\n", good, failed,
              rows_seen);
}

// ---------------------------------------------------------------------------
// A writer that dies without closing.

TEST_F(RunH5Test, CrashedWriterKeepsDataUpToLastFlush) {
  pid_t pid = fork_child([&]() {
    RunH5Writer w(file_, test_info());
    append_points(w, "metrics", 0, "loss", 0, 1000);
    w.append_event({1.0, -1, 0, "agent.started", ""});
    w.flush();
    append_points(w, "metrics", 0, "loss", 1000, 500);
    append_points(w, "metrics", 1, "late", 0, 20);  // created by a reopen
    w.append_spans(0, std::vector<SpanRecord>{{"io", "save", 3, 1.0, 2.0}});
    w.set_attribute("status", "running");
    w.flush();
    append_points(w, "metrics", 0, "loss", 1500, 777);  // never flushed
    append_points(w, "metrics", 2, "never", 0, 5);
    w.append_event({2.0, -1, 0, "lost", ""});
    ::_exit(0);  // no close, no destructors: as if killed
    return 0;
  });
  ASSERT_EQ(wait_child(pid), 0);
  keep(file_, "crashed.h5");

  RunH5Reader r(file_);
  EXPECT_EQ(r.list_series(), (std::vector<SeriesKey>{{"metrics", 0, "loss"}, {"metrics", 1, "late"}}));
  expect_points(r.read_series({"metrics", 0, "loss"}), 1500);
  expect_points(r.read_series({"metrics", 1, "late"}), 20);
  EXPECT_EQ(r.read_spans(0).size(), 1u);
  ASSERT_EQ(r.read_events().size(), 1u);
  EXPECT_EQ(r.read_events()[0].kind, "agent.started");
  EXPECT_EQ(r.attributes()["status"], "running");
}

// SIGKILL at an arbitrary moment, flushes included: the file still opens and every
// series reads as a clean prefix.
TEST_F(RunH5Test, KilledWriterLeavesReadableFile) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    fs::path file = dir_ / ("killed-" + std::to_string(attempt) + ".h5");
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t pid = fork_child([&]() {
      ::close(ready[0]);
      RunH5Writer w(file, test_info());
      for (int s = 0; s < 50; ++s) append_points(w, "metrics", s % 8, "s" + std::to_string(s), 0, 10);
      w.flush();  // every series exists from here on: no more reopens
      if (::write(ready[1], "r", 1) != 1) return 2;
      std::vector<std::int64_t> next(50, 10);
      for (;;) {
        for (int s = 0; s < 50; ++s) {
          append_points(w, "metrics", s % 8, "s" + std::to_string(s), next[static_cast<std::size_t>(s)], 300);
          next[static_cast<std::size_t>(s)] += 300;
        }
        w.flush();
      }
    });
    ::close(ready[1]);
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + 37 * attempt));
    ::kill(pid, SIGKILL);
    ASSERT_EQ(wait_child(pid), -SIGKILL);

    RunH5Reader r(file);
    auto keys = r.list_series();
    ASSERT_EQ(keys.size(), 50u);
    for (const auto& k : keys) {
      SeriesData d = r.read_series(k);
      EXPECT_GE(d.steps.size(), 10u);
      EXPECT_TRUE(is_clean_prefix(d)) << k.name;
    }
  }
}

// ---------------------------------------------------------------------------
// Damaged files: RunFileError with a clear message, never a crash.

void expect_open_error(const fs::path& p, const std::string& fragment) {
  try {
    RunH5Reader r(p);
    ADD_FAILURE() << "opened " << p;
  } catch (const RunFileError& e) {
    EXPECT_CONTAINS(e.what(), fragment);
  }
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(RunH5Test, MissingOrForeignFilesAreReported) {
  expect_open_error(dir_ / "missing.h5", "does not exist");
  expect_open_error(dir_, "not a regular file");
  write_bytes(dir_ / "empty.h5", "");
  expect_open_error(dir_ / "empty.h5", "not an HDF5 file");
  write_bytes(dir_ / "text.h5", "step,time,value\n1,2,3\n");
  expect_open_error(dir_ / "text.h5", "not an HDF5 file");
  std::mt19937 rng(7);
  std::string noise(1 << 16, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  write_bytes(dir_ / "noise.h5", noise);
  expect_open_error(dir_ / "noise.h5", "not an HDF5 file");

  // HDF5, but not a run file.
  fs::path other = dir_ / "other.h5";
  hid_t f = H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Fclose(f);
  expect_open_error(other, "not an Orrery run file");
}

TEST_F(RunH5Test, NewerFormatVersionIsReported) {
  { RunH5Writer w(file_, test_info()); }
  hid_t f = H5Fopen(file_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  ASSERT_GE(H5Adelete(f, "format_version"), 0);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(f, "format_version", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
  int two = 2;
  ASSERT_GE(H5Awrite(attr, H5T_NATIVE_INT, &two), 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Fclose(f);
  expect_open_error(file_, "format_version 2");
  expect_open_error(file_, "newer Orrery");
}

// Truncations and overwrites of a valid file at many places: each either reads
// (damage in raw data is not detectable) or throws RunFileError.
TEST_F(RunH5Test, DamagedFilesNeverCrash) {
  {
    RunH5Writer w(file_, test_info());
    for (int s = 0; s < 12; ++s) append_points(w, "metrics", s % 3, "group/s" + std::to_string(s), 0, 3000);
    w.append_reduced("loss", 0, 1, 1, 1, 1, 1);
    w.append_spans(0, std::vector<SpanRecord>{{"compute", "x", 0, 1, 2}});
    w.append_event({1, 0, 0, "k", "t"});
    w.set_attribute("status", "succeeded");
    w.close();
  }
  const std::string good = slurp(file_);
  ASSERT_GT(good.size(), 10000u);
  fs::path bad = dir_ / "bad.h5";
  std::size_t opened = 0, refused = 0;
  auto attempt = [&](const std::string& bytes, const std::string& what) {
    write_bytes(bad, bytes);
    try {
      RunH5Reader r(bad);
      read_everything(r);
      ++opened;
    } catch (const RunFileError& e) {
      EXPECT_FALSE(std::string(e.what()).empty()) << what;
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": unexpected " << typeid(e).name() << ": " << e.what();
    }
  };
  for (std::size_t len : {std::size_t{0}, std::size_t{8}, std::size_t{47}, std::size_t{100}, std::size_t{1000},
                          good.size() / 4, good.size() / 2, good.size() - 4096, good.size() - 1})
    attempt(good.substr(0, len), "truncated to " + std::to_string(len));
  std::mt19937 rng(1234);
  for (std::size_t off = 0; off < good.size(); off += std::max<std::size_t>(good.size() / 150, 1)) {
    std::string damaged = good;
    for (std::size_t i = off; i < std::min(off + 64, damaged.size()); ++i) damaged[i] = static_cast<char>(rng());
    attempt(damaged, "garbage at " + std::to_string(off));
  }
  // The truncation cases at least must be refused with a message naming the problem.
  write_bytes(bad, good.substr(0, good.size() / 2));
  expect_open_error(bad, "truncated");
  std::printf("damaged files: %zu read anyway, %zu refused\n", opened, refused);
}

// ---------------------------------------------------------------------------
// CSV export

TEST_F(RunH5Test, CsvExportWritesOneFilePerSeries) {
  {
    RunH5Writer w(file_, test_info());
    std::vector<std::int64_t> steps{0, 1, 2};
    std::vector<double> times{1700000000.5, 1700000001.25, 1700000002};
    std::vector<double> values{0.1, -2.5e-10, 3};
    ASSERT_TRUE(w.append_series("metrics", 0, "train/loss", steps, times, values));
    ASSERT_TRUE(w.append_series("system", 1, "cpu", std::vector<std::int64_t>{5}, std::vector<double>{1.5},
                                std::vector<double>{NAN}));
    ASSERT_TRUE(w.append_reduced("train/loss", 0, 1700000000.5, 0.25, 0.1, 0.4, 2));
    w.close();
  }
  RunH5Reader r(file_);
  fs::path out = dir_ / "csv";
  auto files = export_csv(r, out);
  std::vector<fs::path> expected = {out / "metrics/rank-0/train/loss.csv", out / "system/rank-1/cpu.csv",
                                    out / "reduced/train/loss.csv"};
  EXPECT_EQ(files, expected);
  EXPECT_EQ(slurp(out / "metrics/rank-0/train/loss.csv"),
            "step,time,value\n0,1700000000.5,0.1\n1,1700000001.25,-2.5e-10\n2,1700000002,3\n");
  EXPECT_EQ(slurp(out / "system/rank-1/cpu.csv"), "step,time,value\n5,1.5,nan\n");
  EXPECT_EQ(slurp(out / "reduced/train/loss.csv"), "step,time,mean,min,max,count\n0,1700000000.5,0.25,0.1,0.4,2\n");

  // Exporting again overwrites.
  EXPECT_EQ(export_csv(r, out), expected);
}

// A hand-edited run.h5 with names that are not valid series names must not make the
// export write anywhere else, or anything at all.
TEST_F(RunH5Test, CsvExportCannotEscapeItsFolder) {
  {
    RunH5Writer w(file_, test_info());
    ASSERT_TRUE(append_points(w, "metrics", 0, "loss", 0, 3));
    w.close();
  }
  for (const char* hostile : {"..", "x y", "a\\b", "..\\..\\evil"}) {
    fs::path copy = dir_ / "hostile.h5";
    fs::copy_file(file_, copy, fs::copy_options::overwrite_existing);
    hid_t f = H5Fopen(copy.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    hid_t g = H5Gopen2(f, "/reduced", H5P_DEFAULT);
    ASSERT_GE(g, 0);
    ASSERT_GE(H5Lcreate_hard(f, "/metrics/rank-0/loss", g, hostile, H5P_DEFAULT, H5P_DEFAULT), 0) << hostile;
    H5Gclose(g);
    H5Fclose(f);

    RunH5Reader r(copy);
    auto names = r.reduced_names();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], hostile);
    fs::path out = dir_ / "csv-out";
    try {
      export_csv(r, out);
      ADD_FAILURE() << "exported " << hostile;
    } catch (const RunFileError& e) {
      EXPECT_CONTAINS(e.what(), "not a valid series name");
    }
    EXPECT_FALSE(fs::exists(out)) << hostile;
    for (const auto& entry : fs::directory_iterator(dir_))
      EXPECT_TRUE(entry.path().filename() == "run.h5" || entry.path().filename() == "hostile.h5")
          << entry.path();
  }

  // A symbolic link inside the export folder is not followed.
  fs::path elsewhere = dir_ / "elsewhere";
  fs::create_directories(elsewhere);
  fs::path out = dir_ / "csv-link";
  fs::create_directories(out);
  fs::create_directory_symlink(elsewhere, out / "metrics");
  RunH5Reader r(file_);
  EXPECT_THROW(export_csv(r, out), RunFileError);
  EXPECT_TRUE(fs::is_empty(elsewhere));
}

}  // namespace
