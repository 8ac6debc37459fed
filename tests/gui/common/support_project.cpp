#include "support_project.hpp"

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

RunsTestProject::RunsTestProject() {
  if (!dir_.isValid()) throw std::runtime_error("cannot create a temporary project folder");
  project_ = runfiles::open_project(std::filesystem::path(dir_.path().toStdString()), true);
  paths_.bin_dir = env_path("ORRERY_BIN_DIR");
  paths_.share_dir = env_path("ORRERY_SHARE_DIR");
  kinds_ = spec::KindCatalog::load({paths_.share_dir / "kinds"});
}

RunsTestProject::~RunsTestProject() {
  for (const auto& id : launched_) {
    try {
      if (runfiles::is_final(observed(id))) continue;
      cancel(id);
      if (runfiles::is_final(wait_final(id, std::chrono::seconds(20)))) continue;
    } catch (const std::exception&) {
    }
    try {
      auto r = record(id);
      if (r.agent.pid > 0) ::kill(r.agent.pid, SIGKILL);   // the agent takes mpirun and the ranks with it
    } catch (const std::exception&) {
    }
  }
}

std::string RunsTestProject::launch_ticker(const std::string& name, int ranks, int steps, double rate, int fail_step,
                                           const std::vector<std::string>& tags) {
  const auto worker = env_path("ORRERY_SOURCE_DIR") / "tests" / "gui" / "common" / "ticker.py";
  nlohmann::json spec = {{"kind", "command"},
                         {"name", name},
                         {"ranks", ranks},
                         {"tags", tags},
                         {"params",
                          {{"argv",
                            {"/usr/bin/python3", "-u", worker.string(), "--steps", std::to_string(steps), "--rate",
                             std::to_string(rate), "--fail-step", std::to_string(fail_step)}}}}};
  auto validation = spec::validate_spec(spec, kinds_);
  if (!validation.ok()) {
    std::string message = "invalid test spec:";
    for (const auto& issue : validation.errors) message += " " + issue.path + ": " + issue.message + ";";
    throw std::runtime_error(message);
  }
  auto result = launch::launch_local(project_, *kinds_.find("command"), *validation.spec, paths_);
  launched_.push_back(result.run_id);
  return result.run_id;
}

runfiles::RunRecord RunsTestProject::record(const std::string& run_id) const {
  return runfiles::read_run_record(runfiles::run_path(project_, run_id));
}

runfiles::RunStatus RunsTestProject::observed(const std::string& run_id) const {
  return launch::observed_status(record(run_id));
}

runfiles::RunStatus RunsTestProject::wait_final(const std::string& run_id, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      auto status = observed(run_id);
      if (runfiles::is_final(status)) return status;
    } catch (const runfiles::RunRecordError&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("run " + run_id + " did not end in time");
}

void RunsTestProject::cancel(const std::string& run_id) {
  feed::control_request(record(run_id), {{"cmd", "cancel"}}, std::chrono::seconds(2));
}

std::map<runfiles::SeriesKey, std::size_t> file_counts(const runfiles::Project& project, const std::string& run_id) {
  runfiles::RunH5Reader reader(runfiles::run_path(project, run_id) / "run.h5");
  std::map<runfiles::SeriesKey, std::size_t> counts;
  for (const auto& key : reader.list_series()) counts[key] = reader.read_series(key).values.size();
  return counts;
}

std::map<runfiles::SeriesKey, std::size_t> store_counts(const series::SeriesStore& store, const std::string& run_id) {
  std::map<runfiles::SeriesKey, std::size_t> counts;
  for (const auto& key : store.keys_of_run(run_id)) counts[{key.group, key.rank, key.name}] = store.find(key)->size();
  return counts;
}

std::string consecutive_steps_problem(const series::SeriesStore& store, const std::string& run_id) {
  for (const auto& key : store.keys_of_run(run_id)) {
    if (key.group != "metrics") continue;
    auto problem = store.find(key)->read([&](const series::Columns& c) -> std::string {
      for (std::size_t i = 0; i < c.steps.size(); ++i) {
        if (c.steps[i] != static_cast<std::int64_t>(i))
          return "rank " + std::to_string(key.rank) + " " + key.name + ": point " + std::to_string(i) + " has step " +
                 std::to_string(c.steps[i]);
      }
      return {};
    });
    if (!problem.empty()) return problem;
  }
  return {};
}

}  // namespace orrery::testing
