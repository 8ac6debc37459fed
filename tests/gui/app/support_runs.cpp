#include "support_runs.hpp"

#include "feed/feed_client.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "spec/spec.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace orrery::testing {

namespace {

std::filesystem::path env_path(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) throw std::runtime_error(std::string(name) + " is not set (run the test through ctest)");
  return value;
}

}  // namespace

TestProject::TestProject() {
  if (!dir_.isValid()) throw std::runtime_error("cannot create a temporary project folder");
  project_ = runfiles::open_project(std::filesystem::path(dir_.path().toStdString()), true);
  paths_.bin_dir = env_path("ORRERY_BIN_DIR");
  paths_.share_dir = env_path("ORRERY_SHARE_DIR");
  kinds_ = spec::KindCatalog::load({paths_.share_dir / "kinds"});
}

TestProject::~TestProject() {
  for (const auto& id : launched_) {
    try {
      auto r = record(id);
      if (runfiles::is_final(launch::observed_status(r))) continue;
      feed::control_request(r, {{"cmd", "cancel"}}, std::chrono::seconds(2));
      if (!runfiles::is_final(wait_final(id, std::chrono::seconds(20)))) continue;
    } catch (const std::exception&) {
      try {
        auto r = record(id);
        if (r.agent.pid > 0) ::kill(r.agent.pid, SIGKILL);   // the agent takes mpirun and the ranks with it
      } catch (const std::exception&) {
      }
    }
  }
}

std::string TestProject::launch(const nlohmann::json& spec) {
  auto validation = spec::validate_spec(spec, kinds_);
  if (!validation.ok()) {
    std::string message = "invalid test spec:";
    for (const auto& issue : validation.errors) message += " " + issue.path + ": " + issue.message + ";";
    throw std::runtime_error(message);
  }
  auto result = launch::launch_local(project_, *kinds_.find(validation.spec->kind), *validation.spec, paths_);
  launched_.push_back(result.run_id);
  return result.run_id;
}

runfiles::RunRecord TestProject::record(const std::string& run_id) const {
  return runfiles::read_run_record(runfiles::run_path(project_, run_id));
}

runfiles::RunStatus TestProject::wait_final(const std::string& run_id, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      auto status = launch::observed_status(record(run_id));
      if (runfiles::is_final(status)) return status;
    } catch (const runfiles::RunRecordError&) {
      // run.json is replaced atomically, but a test may race its very first write.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("run " + run_id + " did not end in time");
}

std::size_t TestProject::h5_metric_points(const std::string& run_id) const {
  runfiles::RunH5Reader reader(runfiles::run_path(project_, run_id) / "run.h5");
  std::size_t points = 0;
  for (const auto& key : reader.list_series()) {
    if (key.group == "metrics") points += reader.read_series(key).values.size();
  }
  return points;
}

nlohmann::json TestProject::slow_spec(const std::string& name, int ranks, int steps, double sleep) {
  const auto worker = env_path("ORRERY_SOURCE_DIR") / "tests" / "e2e" / "workers" / "slow_worker.py";
  return {{"kind", "command"},
          {"name", name},
          {"ranks", ranks},
          {"params",
           {{"argv", {"/usr/bin/python3", "-u", worker.string(), "--steps", std::to_string(steps), "--sleep",
                      std::to_string(sleep)}}}}};
}

nlohmann::json TestProject::allreduce_spec(const std::string& name, int ranks, int max_bytes) {
  return {{"kind", "allreduce-bench"},
          {"name", name},
          {"ranks", ranks},
          {"params", {{"min_bytes", 8}, {"max_bytes", max_bytes}, {"iterations", 20}, {"warmup", 2}}}};
}

}  // namespace orrery::testing
