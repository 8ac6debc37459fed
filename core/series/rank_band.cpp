#include "series/rank_band.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace orrery::series {

namespace {

struct Sample {
  std::int64_t step;
  double time;
  double value;
};

}  // namespace

RankBand rank_band(const std::vector<const Columns*>& ranks) {
  std::size_t total = 0;
  for (const Columns* c : ranks) total += c->steps.size();
  std::vector<Sample> samples;
  samples.reserve(total);
  for (const Columns* c : ranks) {
    for (std::size_t i = 0; i < c->steps.size(); ++i) samples.push_back({c->steps[i], c->times[i], c->values[i]});
  }
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.step < b.step; });

  RankBand band;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < samples.size();) {
    const std::int64_t step = samples[i].step;
    double earliest = samples[i].time, sum = 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
    int finite = 0;
    for (; i < samples.size() && samples[i].step == step; ++i) {
      earliest = std::min(earliest, samples[i].time);
      const double v = samples[i].value;
      if (!std::isfinite(v)) continue;
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++finite;
    }
    band.steps.push_back(step);
    band.times.push_back(earliest);
    band.mean.push_back(finite ? sum / finite : nan);
    band.min.push_back(finite ? lo : nan);
    band.max.push_back(finite ? hi : nan);
    band.count.push_back(finite);
  }
  return band;
}

}  // namespace orrery::series
