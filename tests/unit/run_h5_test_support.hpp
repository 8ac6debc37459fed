// Shared by the run.h5 tests (test_run_h5*.cpp): the fixture (a fresh temp folder and a
// run.h5 path in it), the points the tests append and check, and forked children.
//
// Tests that need a live or crashed writer run the writer in a forked child: HDF5 shares
// one open file per process, so a reader in the writer's own process would read the
// writer's cache instead of the disk and prove nothing about SWMR.
//
// ORRERY_KEEP_TEST_FILE=<folder> keeps two files there for tests/e2e/check_run_h5.py:
// roundtrip.h5 (test_run_h5, closed cleanly) and crashed.h5 (test_run_h5_live, writer
// _exit()ed without closing).
#pragma once

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_h5_writer.hpp"

namespace orrery::run_h5_test {

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

inline RunH5Info test_info() { return {"run-0001", "gpt-train", 4}; }

// Appends n points step0..step0+n-1 (time = 1e9 + step, value = f(step)) to one series.
inline bool append_points(RunH5Writer& w, std::string_view group, int rank, std::string_view name, std::int64_t step0,
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
inline void expect_points(const SeriesData& d, std::size_t n, double scale = 1.0) {
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
inline bool is_clean_prefix(const SeriesData& d) {
  for (std::size_t i = 0; i < d.steps.size(); ++i)
    if (d.steps[i] != static_cast<std::int64_t>(i) || d.times[i] != 1.7e9 + static_cast<double>(i) * 0.25)
      return false;
  return true;
}

// Runs body in a forked child that ends with _exit(body's result); 100 + n when it threw.
inline pid_t fork_child(const std::function<int()>& body) {
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

inline int wait_child(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1000;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every read the reader offers, as a consumer would do them; throws RunFileError on failure.
inline std::size_t read_everything(const RunH5Reader& r) {
  std::size_t rows = 0;
  (void)r.info();
  (void)r.attributes();
  for (const auto& k : r.list_series()) rows += r.read_series(k).steps.size();
  for (const auto& n : r.reduced_names()) rows += r.read_reduced(n).steps.size();
  for (int rank : r.span_ranks()) rows += r.read_spans(rank).size();
  rows += r.read_events().size();
  return rows;
}

}  // namespace orrery::run_h5_test
