// Real runs for the tests of panels/common and panels/runs: a temporary project,
// `command` runs of tests/gui/common/ticker.py launched with the real orrery-agent
// and mpirun, and every run still live stopped when the project goes.
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_record.hpp"
#include "series/series_store.hpp"
#include "spec/kind_catalog.hpp"

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace orrery::testing {

class RunsTestProject {
 public:
  RunsTestProject();
  ~RunsTestProject();   // cancels, then kills, every run still live

  const runfiles::Project& project() const { return project_; }

  // `ranks` ranks of ticker.py printing `steps` metric lines at `rate` per second;
  // fail_step >= 0: rank 0 exits with code 3 there.
  std::string launch_ticker(const std::string& name, int ranks, int steps, double rate, int fail_step = -1,
                            const std::vector<std::string>& tags = {});
  runfiles::RunRecord record(const std::string& run_id) const;
  runfiles::RunStatus observed(const std::string& run_id) const;
  // Polls run.json until the observed status is final; returns it (throws on timeout).
  runfiles::RunStatus wait_final(const std::string& run_id, std::chrono::seconds timeout = std::chrono::seconds(90));
  void cancel(const std::string& run_id);

 private:
  QTemporaryDir dir_;
  runfiles::Project project_;
  launch::InstallPaths paths_;
  spec::KindCatalog kinds_;
  std::vector<std::string> launched_;
};

// Every series of run.h5 (metrics and system) with its point count. Calls HDF5: only
// while nothing else in the process does.
std::map<runfiles::SeriesKey, std::size_t> file_counts(const runfiles::Project& project, const std::string& run_id);
// The same from a store.
std::map<runfiles::SeriesKey, std::size_t> store_counts(const series::SeriesStore& store, const std::string& run_id);
// Empty when every metrics series of the run in the store has steps 0, 1, ..., n-1
// (ticker.py's series: a duplicate or a gap shows at once); else what is wrong.
std::string consecutive_steps_problem(const series::SeriesStore& store, const std::string& run_id);

}  // namespace orrery::testing
