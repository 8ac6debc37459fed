// One metric across the ranks of a run, reduced by step: the mean line and the
// min/max band the charts draw when ranks are not shown one by one.
#pragma once

#include "series/series_store.hpp"

#include <cstdint>
#include <vector>

namespace orrery::series {

struct RankBand {
  std::vector<std::int64_t> steps;  // ascending, each once
  std::vector<double> times;        // the earliest wall time any rank logged that step at
  std::vector<double> mean, min, max;
  std::vector<int> count;           // ranks with a finite value at that step
};

// Every step any rank logged gives one row, over the finite values logged at that
// step (a rank that logged a step twice counts twice). A step with no finite value
// gets NaN mean/min/max and count 0, so the chart leaves a gap there. The ranks'
// columns need not be sorted.
RankBand rank_band(const std::vector<const Columns*>& ranks);

}  // namespace orrery::series
