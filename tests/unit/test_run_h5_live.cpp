// run.h5 with a writer in another process (core/runfiles/run_h5_*.cpp): a SWMR reader
// while the writer lives, a writer that dies without closing, and one SIGKILLed anywhere.
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

}  // namespace
