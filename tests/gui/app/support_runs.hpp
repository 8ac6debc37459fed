// Real runs for the workbench tests: a temporary project, runs launched with
// the real orrery-agent and mpirun, and every run stopped when the test ends.
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"
#include "runfiles/run_record.hpp"
#include "spec/kind_catalog.hpp"

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace orrery::testing {

class TestProject {
 public:
  TestProject();
  ~TestProject();   // cancels, then kills, every run still live

  const runfiles::Project& project() const { return project_; }
  const launch::InstallPaths& paths() const { return paths_; }

  // Validates spec against the installed kinds and launches it; throws with the validation errors.
  std::string launch(const nlohmann::json& spec);
  runfiles::RunRecord record(const std::string& run_id) const;
  // Polls run.json until the observed status is final; returns it (throws on timeout).
  runfiles::RunStatus wait_final(const std::string& run_id, std::chrono::seconds timeout = std::chrono::seconds(60));
  // Number of points in the run.h5 "metrics" group, all ranks and names.
  std::size_t h5_metric_points(const std::string& run_id) const;

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

}  // namespace orrery::testing
