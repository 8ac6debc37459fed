// What a report of selected runs says, gathered once from the project's files and then
// written as HTML (report_html) and PDF (report_pdf): each run's record, observed status
// and annotations, the parameters table, per-metric summaries, and the metrics every
// run shares (one chart each). The series stay loaded in `store` for the charts.
#pragma once

#include "compare/metric_summary.hpp"
#include "runfiles/annotations.hpp"
#include "runfiles/project.hpp"
#include "runfiles/run_record.hpp"
#include "series/series_store.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace orrery::panels {

struct ReportRun {
  runfiles::RunRecord record;
  runfiles::RunStatus status = runfiles::RunStatus::Starting;  // observed: a dead agent reads as lost
  runfiles::Annotations annotations;
  std::string series_error;  // why run.h5 could not be read; empty when it was
};

struct MetricSummary {
  std::string metric;
  double final_value = 0;   // mean over ranks of each rank's last value
  double min = 0, max = 0;  // over every point of every rank
  std::size_t points = 0;   // over every rank
  int ranks = 0;
  bool lower_is_better = false;
  double best() const { return lower_is_better ? min : max; }
};

struct ParameterRow {
  std::string name;
  std::vector<std::optional<std::string>> values;  // per run; nullopt when the run has no such parameter
};

struct ReportContent {
  std::vector<ReportRun> runs;
  std::vector<ParameterRow> parameters;              // sorted by name
  bool all_parameters = false;                       // false: only the rows whose values differ
  std::vector<std::vector<MetricSummary>> summaries;  // per run, sorted by metric
  std::vector<std::string> shared_metrics;           // metrics of every run, sorted: one chart each
  std::shared_ptr<series::SeriesStore> store = std::make_shared<series::SeriesStore>();
  double generated = 0;                              // seconds since the epoch
};

// Loss-like names (loss, error, latency, perplexity, ...) are better when lower: the
// comparison panel's rule (core/compare), so a report and the panel agree on "best".
using compare::lower_is_better;

// Reads the runs (ids as given: exact, prefix or name, resolved by runfiles::resolve_run,
// which throws ProjectError naming an unknown one). A run whose run.h5 is missing or
// unreadable is still reported, with its error and no metrics. all_parameters: every
// parameter row, else only the differing ones (every row when there is one run).
ReportContent collect_report(const runfiles::Project& project, const std::vector<std::string>& runs,
                             bool all_parameters = false);

}  // namespace orrery::panels
