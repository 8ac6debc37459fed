#include "run_testing.hpp"

#include "feed/feed_client.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "spec/spec.hpp"

#include <QTest>

#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace orrery::testing {

namespace {

std::filesystem::path env_path(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) throw std::runtime_error(std::string(name) + " is not set (run the test through ctest)");
  return value;
}

}  // namespace

launch::InstallPaths install_paths_from_env() {
  launch::InstallPaths paths;
  paths.bin_dir = env_path("ORRERY_BIN_DIR");
  paths.share_dir = env_path("ORRERY_SHARE_DIR");
  return paths;
}

std::optional<runfiles::RunRecord> read_record(const runfiles::Project& project, const std::string& id) {
  try {
    return runfiles::read_run_record(runfiles::run_path(project, id));
  } catch (const std::exception&) {
    return std::nullopt;   // not there yet, or a test racing the very first write
  }
}

std::optional<runfiles::RunStatus> observed(const runfiles::Project& project, const std::string& id) {
  auto record = read_record(project, id);
  if (!record) return std::nullopt;
  return launch::observed_status(*record);
}

std::optional<runfiles::RunStatus> wait_final(const runfiles::Project& project, const std::string& id,
                                              int timeout_ms) {
  std::optional<runfiles::RunStatus> status;
  const bool ended = QTest::qWaitFor(
      [&] {
        status = observed(project, id);
        return status && runfiles::is_final(*status);
      },
      timeout_ms);
  return ended ? status : std::nullopt;
}

void stop_run(const runfiles::Project& project, const std::string& id) {
  auto record = read_record(project, id);
  if (!record || runfiles::is_final(launch::observed_status(*record))) return;
  feed::control_request(*record, {{"cmd", "cancel"}}, std::chrono::seconds(3));
  if (wait_final(project, id, 20'000)) return;
  if (record->agent.pid > 0) ::kill(record->agent.pid, SIGKILL);   // the agent takes mpirun and the ranks with it
}

RunGuard::~RunGuard() {
  for (const auto& id : ids_) stop_run(project_, id);
}

TestProject::TestProject() {
  if (!dir_.isValid()) throw std::runtime_error("cannot create a temporary project folder");
  project_ = runfiles::open_project(std::filesystem::path(dir_.path().toStdString()), true);
  paths_ = install_paths_from_env();
  kinds_ = spec::KindCatalog::load({paths_.share_dir / "kinds"});
}

TestProject::~TestProject() {
  for (const auto& id : launched_) stop_run(project_, id);
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

std::string TestProject::launch_ticker(const std::string& name, int ranks, int steps, double rate, int fail_step,
                                       const std::vector<std::string>& tags) {
  const auto worker = env_path("ORRERY_SOURCE_DIR") / "tests" / "gui" / "common" / "ticker.py";
  return launch({{"kind", "command"},
                 {"name", name},
                 {"ranks", ranks},
                 {"tags", tags},
                 {"params",
                  {{"argv",
                    {"/usr/bin/python3", "-u", worker.string(), "--steps", std::to_string(steps), "--rate",
                     std::to_string(rate), "--fail-step", std::to_string(fail_step)}}}}});
}

runfiles::RunRecord TestProject::record(const std::string& run_id) const {
  return runfiles::read_run_record(runfiles::run_path(project_, run_id));
}

runfiles::RunStatus TestProject::observed(const std::string& run_id) const {
  return launch::observed_status(record(run_id));
}

runfiles::RunStatus TestProject::wait_final(const std::string& run_id, std::chrono::seconds timeout) {
  auto status = testing::wait_final(project_, run_id, static_cast<int>(timeout.count() * 1000));
  if (!status) throw std::runtime_error("run " + run_id + " did not end in time");
  return *status;
}

void TestProject::cancel(const std::string& run_id) {
  feed::control_request(record(run_id), {{"cmd", "cancel"}}, std::chrono::seconds(2));
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

std::map<runfiles::SeriesKey, std::size_t> file_counts(const runfiles::Project& project, const std::string& run_id) {
  runfiles::RunH5Reader reader(runfiles::run_path(project, run_id) / "run.h5");
  std::map<runfiles::SeriesKey, std::size_t> counts;
  for (const auto& key : reader.list_series()) counts[key] = reader.read_series(key).values.size();
  return counts;
}

std::size_t file_metric_points(const runfiles::Project& project, const std::string& run_id) {
  std::size_t points = 0;
  for (const auto& [key, count] : file_counts(project, run_id))
    if (key.group == "metrics") points += count;
  return points;
}

std::map<runfiles::SeriesKey, std::size_t> store_counts(const series::SeriesStore& store, const std::string& run_id) {
  std::map<runfiles::SeriesKey, std::size_t> counts;
  for (const auto& key : store.keys_of_run(run_id))
    if (auto series = store.find(key)) counts[{key.group, key.rank, key.name}] = series->size();
  return counts;
}

std::size_t store_metric_points(const series::SeriesStore& store, const std::string& run_id) {
  std::size_t points = 0;
  for (const auto& [key, count] : store_counts(store, run_id))
    if (key.group == "metrics") points += count;
  return points;
}

std::string consecutive_steps_problem(const series::SeriesStore& store, const std::string& run_id) {
  for (const auto& key : store.keys_of_run(run_id)) {
    auto series = store.find(key);
    if (key.group != "metrics" || !series) continue;
    auto problem = series->read([&](const series::Columns& c) -> std::string {
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

std::string write_finished_run(const runfiles::Project& project, const FinishedRun& run) {
  const std::string id = runfiles::make_run_id(project, run.name);
  const auto run_dir = runfiles::run_path(project, id);
  std::filesystem::create_directories(run_dir);
  runfiles::RunRecord record;
  record.id = id;
  record.name = run.name;
  record.kind = "command";
  record.ranks = run.ranks;
  record.status = runfiles::RunStatus::Succeeded;
  record.created = record.started = 1.7e9;
  record.ended = 1.7e9 + 100;
  record.spec = run.spec;
  runfiles::write_run_record(run_dir, record);

  runfiles::RunH5Writer writer(run_dir / "run.h5", {record.id, record.kind, run.ranks});
  for (int rank = 0; rank < run.ranks; ++rank) {
    std::vector<std::int64_t> steps;
    std::vector<double> times, values;
    for (int s = 0; s < run.points; ++s) {
      steps.push_back(s);
      times.push_back(1.7e9 + s * run.seconds_per_step);
      values.push_back(run.value(rank, s));
    }
    for (const auto& metric : run.metrics) {
      if (!writer.append_series("metrics", rank, metric, steps, times, values)) {
        throw std::runtime_error("cannot write " + metric + " of run " + id);
      }
    }
  }
  writer.close();
  return id;
}

}  // namespace orrery::testing
