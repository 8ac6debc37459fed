// One metric of one run reduced to the numbers a comparison ranks runs by: the run's
// curve (the mean over the ranks that reported each step), and from it the final value,
// the best value and the value at a chosen step.
#pragma once

#include "runfiles/run_h5_reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orrery::compare {

// Steps ascending, each once; value = mean over the ranks that logged that step.
struct MetricCurve {
  std::vector<std::int64_t> steps;
  std::vector<double> values;
};

// Merges per-rank series (steps ascending within each, as the writer appends them) into
// one curve. Non-finite values (NaN, Inf) enter the mean like any other: a diverged rank
// makes the run's value NaN/Inf rather than hiding it.
MetricCurve mean_over_ranks(const std::vector<runfiles::SeriesData>& ranks);

// Which end of a metric is best. ByName: lower for loss-like names (loss, error, err,
// latency, perplexity, ppl, mse, mae, regret, *_ms, *_us; case-insensitive substring),
// higher for everything else (accuracy, throughput, bandwidth, goodput...).
enum class BestRule { ByName, Lower, Higher };
bool lower_is_better(const std::string& metric);
bool lower_is_better(const std::string& metric, BestRule rule);

enum class SummaryKind { Final, Best, AtStep };

struct SummaryChoice {
  SummaryKind kind = SummaryKind::Final;
  std::int64_t step = 0;             // for AtStep
  BestRule best = BestRule::ByName;  // for Best
};

// nullopt when the curve is empty, or (AtStep) when its first step is after `step`.
// Final: the value at the last step. Best: the minimum or maximum over the curve, NaN
// points skipped (NaN when every point is NaN). AtStep: the value at the last step at or
// before `step` (nearest step at or before k: a run that logs every 10 steps answers
// k = 25 with step 20).
std::optional<double> summarize(const MetricCurve& curve, const std::string& metric, const SummaryChoice& choice);

}  // namespace orrery::compare
