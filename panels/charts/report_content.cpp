#include "charts/report_content.hpp"

#include "launch/local_launcher.hpp"
#include "series/load_run_h5.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace orrery::panels {

namespace {

// A parameter's value as a person reads it: strings without quotes, the rest as JSON.
std::string parameter_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::vector<ParameterRow> parameter_rows(const std::vector<ReportRun>& runs, bool all) {
  std::map<std::string, ParameterRow> rows;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto params = runs[r].record.spec.value("params", nlohmann::json::object());
    if (!params.is_object()) continue;
    for (const auto& [name, value] : params.items()) {
      auto& row = rows[name];
      row.name = name;
      row.values.resize(runs.size());
      row.values[r] = parameter_text(value);
    }
  }
  std::vector<ParameterRow> out;
  for (auto& [name, row] : rows) {
    row.values.resize(runs.size());
    const bool differs = std::adjacent_find(row.values.begin(), row.values.end(), std::not_equal_to<>()) != row.values.end();
    if (all || runs.size() == 1 || differs) out.push_back(std::move(row));
  }
  return out;
}

std::vector<MetricSummary> summarize(const series::SeriesStore& store, const std::string& run_id) {
  std::map<std::string, MetricSummary> by_name;
  std::map<std::string, double> sum_of_last;
  for (const auto& key : store.keys_of_run(run_id)) {
    if (key.group != "metrics") continue;
    auto series = store.find(key);
    if (!series || series->size() == 0) continue;
    auto& s = by_name[key.name];
    series->read([&](const series::Columns& c) {
      const auto [lo, hi] = std::minmax_element(c.values.begin(), c.values.end());
      s.min = s.points == 0 ? *lo : std::min(s.min, *lo);
      s.max = s.points == 0 ? *hi : std::max(s.max, *hi);
      s.points += c.values.size();
      sum_of_last[key.name] += c.values.back();
    });
    s.metric = key.name;
    ++s.ranks;
  }
  std::vector<MetricSummary> out;
  for (auto& [name, s] : by_name) {
    s.final_value = sum_of_last[name] / s.ranks;
    s.lower_is_better = lower_is_better(name);
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> metrics_of_every_run(const std::vector<std::vector<MetricSummary>>& summaries) {
  std::map<std::string, std::size_t> runs_with;
  for (const auto& run : summaries)
    for (const auto& s : run) ++runs_with[s.metric];
  std::vector<std::string> out;
  for (const auto& [name, count] : runs_with)
    if (count == summaries.size()) out.push_back(name);
  return out;
}

}  // namespace

ReportContent collect_report(const runfiles::Project& project, const std::vector<std::string>& runs, bool all_parameters) {
  ReportContent content;
  content.all_parameters = all_parameters;
  content.generated = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Every name resolved before any file is read: an unknown one fails at once.
  std::vector<std::string> ids;
  for (const auto& query : runs) {
    std::string id = runfiles::resolve_run(project, query);
    // Named twice (by id and by name, say): reported once.
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  for (const auto& id : ids) {
    const auto dir = runfiles::run_path(project, id);
    ReportRun run;
    run.record = runfiles::read_run_record(dir);
    run.status = launch::observed_status(run.record);
    run.annotations = runfiles::read_annotations(project, id);
    try {
      series::load_run_h5(*content.store, id, dir / "run.h5", [](const runfiles::SeriesKey& key) { return key.group == "metrics"; });
    } catch (const std::exception& e) {
      run.series_error = e.what();
    }
    content.summaries.push_back(summarize(*content.store, id));
    content.runs.push_back(std::move(run));
  }
  content.parameters = parameter_rows(content.runs, all_parameters);
  content.shared_metrics = metrics_of_every_run(content.summaries);
  return content;
}

}  // namespace orrery::panels
