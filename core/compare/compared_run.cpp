#include "compare/compared_run.hpp"

#include "runfiles/run_record.hpp"

#include <set>

namespace orrery::compare {

ComparedRun load_compared_run(const runfiles::Project& project, const std::string& id, const std::atomic<bool>* cancel) {
  ComparedRun run;
  run.id = id;
  run.name = id;
  const auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
  std::filesystem::path dir;
  try {
    dir = runfiles::run_path(project, id);   // checks the id: it may come from anywhere
    const auto record = runfiles::read_run_record(dir);
    run.name = record.name.empty() ? id : record.name;
    run.status = runfiles::to_string(record.status);
    run.params = flatten_params(record.spec);
  } catch (const std::exception& e) {
    run.error = std::string("run.json: ") + e.what();
    return run;
  }
  try {
    runfiles::RunH5Reader reader(dir / "run.h5");
    // Per-rank series grouped by metric name (list_series is sorted by group, rank, name).
    std::map<std::string, std::vector<runfiles::SeriesKey>> by_name;
    for (auto& key : reader.list_series())
      if (key.group == "metrics") by_name[key.name].push_back(key);
    for (const auto& [name, keys] : by_name) {
      std::vector<runfiles::SeriesData> ranks;
      for (const auto& key : keys) {
        if (cancelled()) {
          run.metrics.clear();
          run.error = "cancelled";
          return run;
        }
        ranks.push_back(reader.read_series(key));
      }
      run.metrics[name] = mean_over_ranks(ranks);
    }
  } catch (const std::exception& e) {
    run.metrics.clear();   // half a run's metrics would compare as if they were all of it
    run.error = std::string("run.h5: ") + e.what();
  }
  return run;
}

std::vector<std::string> metric_names(const std::vector<const ComparedRun*>& runs) {
  std::set<std::string> names;
  for (const ComparedRun* run : runs)
    for (const auto& entry : run->metrics) names.insert(entry.first);
  return {names.begin(), names.end()};
}

std::optional<double> summary_of(const ComparedRun& run, const std::string& metric, const SummaryChoice& choice) {
  const auto it = run.metrics.find(metric);
  if (it == run.metrics.end()) return std::nullopt;
  return summarize(it->second, metric, choice);
}

}  // namespace orrery::compare
