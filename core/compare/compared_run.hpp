// A run as the comparison panel holds it: name, status and parameters from run.json,
// one curve per metric from run.h5. Loading one run never fails: what could not be read
// is named in `error` (missing or damaged run.json or run.h5) and the rest stays usable,
// so one broken run does not keep the others out of a comparison.
#pragma once

#include "compare/metric_summary.hpp"
#include "compare/run_params.hpp"
#include "runfiles/project.hpp"

#include <atomic>
#include <map>
#include <string>
#include <vector>

namespace orrery::compare {

struct ComparedRun {
  std::string id;
  std::string name;     // run.json's name; the id when run.json is unreadable
  std::string status;   // run.json's status as written ("" when unreadable)
  Params params;
  std::map<std::string, MetricCurve> metrics;   // the "metrics" group of run.h5, by name
  std::string error;    // why run.json or run.h5 could not be read; empty when both were
  bool loaded() const { return error.empty(); }
};

// Reads runs/<id>/run.json and run.h5 (HDF5: Debian's build is thread-safe, so pool
// threads may call this side by side). `cancel` is looked at between series: when it
// is raised, loading stops and the run comes back with error "cancelled".
ComparedRun load_compared_run(const runfiles::Project& project, const std::string& id,
                              const std::atomic<bool>* cancel = nullptr);

// Metric names of any of the runs, sorted.
std::vector<std::string> metric_names(const std::vector<const ComparedRun*>& runs);

// The chosen summary of one metric of a run; nullopt when the run lacks the metric.
std::optional<double> summary_of(const ComparedRun& run, const std::string& metric, const SummaryChoice& choice);

}  // namespace orrery::compare
