// Load-imbalance views of a timeline, over a window of time:
//  - per-rank time spent in each span kind (hpcviewer's load-imbalance view draws one
//    kind's values sorted, and their histogram);
//  - how many ranks are in each kind over time (Vampir's summary timeline): per time
//    bin, the ranks' top-row spans weighted by the fraction of the bin they cover.
// Linear in the spans inside the window; the UI runs them on its worker thread.
#pragma once

#include "timeline/timeline.hpp"

#include <array>
#include <span>
#include <vector>

namespace orrery::timeline {

using KindSeconds = std::array<double, kSpanKindCount>;

// Seconds of each kind per lane (parallel to Timeline::lanes) inside [begin, end],
// spans clipped to the window; every row counts (nested spans add up).
std::vector<KindSeconds> kind_totals(const Timeline& timeline, double begin, double end);

struct Histogram {
  double low = 0, high = 0;   // the values' range; bins split it evenly
  std::vector<int> counts;
};
// Empty counts for no values; all values in one bin when they are all equal.
Histogram histogram(std::span<const double> values, int bins);

struct PhaseProfile {
  double begin = 0, end = 0;
  std::vector<std::array<float, kSpanKindCount>> ranks;   // per bin: ranks in each kind (fractional)
};
// Row 0 of each lane only: a rank is in one phase at a time (its outermost span).
PhaseProfile phase_profile(const Timeline& timeline, double begin, double end, int bins);

}  // namespace orrery::timeline
