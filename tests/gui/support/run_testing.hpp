// Real runs for the widget tests: a temporary project, runs launched with the
// real orrery-agent and mpirun, waiting for them, comparing what a store holds
// with run.h5, and stopping every run a test started (even when it fails).
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_record.hpp"
#include "series/series_store.hpp"
#include "spec/kind_catalog.hpp"

#include <QString>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace orrery::testing {

// bin and share folders of the build under test ($ORRERY_BIN_DIR, $ORRERY_SHARE_DIR; set by ctest).
launch::InstallPaths install_paths_from_env();

std::optional<runfiles::RunRecord> read_record(const runfiles::Project& project, const std::string& id);
std::optional<runfiles::RunStatus> observed(const runfiles::Project& project, const std::string& id);
// Waits, processing events, until the run's observed status is final; nullopt on timeout.
std::optional<runfiles::RunStatus> wait_final(const runfiles::Project& project, const std::string& id,
                                              int timeout_ms = 60'000);
// Cancels a live run through its agent; kills the agent (and so its ranks) if it does not end in time.
void stop_run(const runfiles::Project& project, const std::string& id);

// Every run id handed to it is stopped when the guard goes out of scope.
class RunGuard {
 public:
  explicit RunGuard(const runfiles::Project& project) : project_(project) {}
  ~RunGuard();
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  void add(const QString& id) { ids_.insert(id.toStdString()); }
  void add(const std::string& id) { ids_.insert(id); }

 private:
  runfiles::Project project_;
  std::set<std::string> ids_;
};

class TestProject {
 public:
  TestProject();
  ~TestProject();   // stops every run it launched that is still live

  const runfiles::Project& project() const { return project_; }
  const launch::InstallPaths& paths() const { return paths_; }

  // Validates spec against the installed kinds and launches it; throws with the validation errors.
  std::string launch(const nlohmann::json& spec);
  // `ranks` ranks of tests/gui/common/ticker.py printing `steps` metric lines at `rate` per second;
  // fail_step >= 0: rank 0 exits with code 3 there.
  std::string launch_ticker(const std::string& name, int ranks, int steps, double rate, int fail_step = -1,
                            const std::vector<std::string>& tags = {});
  runfiles::RunRecord record(const std::string& run_id) const;
  runfiles::RunStatus observed(const std::string& run_id) const;
  // Like the free wait_final, but throws on timeout.
  runfiles::RunStatus wait_final(const std::string& run_id, std::chrono::seconds timeout = std::chrono::seconds(90));
  void cancel(const std::string& run_id);

  // A `command` spec running tests/e2e/workers/slow_worker.py (steps × sleep seconds).
  static nlohmann::json slow_spec(const std::string& name, int ranks, int steps, double sleep);
  // A short allreduce-bench spec (sizes 8 B .. max_bytes).
  static nlohmann::json allreduce_spec(const std::string& name, int ranks, int max_bytes);

 private:
  QTemporaryDir dir_;
  runfiles::Project project_;
  launch::InstallPaths paths_;
  spec::KindCatalog kinds_;
  std::vector<std::string> launched_;
};

// Every series of run.h5 (metrics and system) with its point count. Calls HDF5.
std::map<runfiles::SeriesKey, std::size_t> file_counts(const runfiles::Project& project, const std::string& run_id);
// Points in run.h5's "metrics" group, all ranks and names.
std::size_t file_metric_points(const runfiles::Project& project, const std::string& run_id);
// The same counts from a store.
std::map<runfiles::SeriesKey, std::size_t> store_counts(const series::SeriesStore& store, const std::string& run_id);
std::size_t store_metric_points(const series::SeriesStore& store, const std::string& run_id);
// Empty when every metrics series of the run in the store has steps 0, 1, ..., n-1
// (ticker.py's series: a duplicate or a gap shows at once); else what is wrong.
std::string consecutive_steps_problem(const series::SeriesStore& store, const std::string& run_id);

// A finished run written straight to the project's files (run.json and run.h5), no agent:
// for tests of what reads finished runs. Every metric of every rank has `points` points,
// steps 0, 1, ... at `seconds_per_step` from t = 1.7e9, values from value(rank, step).
struct FinishedRun {
  std::string name;
  nlohmann::json spec = nlohmann::json::object();
  int ranks = 2;
  int points = 500;
  double seconds_per_step = 0.1;
  std::vector<std::string> metrics{"loss"};
  std::function<double(int rank, int step)> value;
};
// Its run id; throws std::runtime_error when run.h5 cannot be written.
std::string write_finished_run(const runfiles::Project& project, const FinishedRun& run);

}  // namespace orrery::testing
