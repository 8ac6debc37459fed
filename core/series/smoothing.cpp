#include "series/smoothing.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::series {

Ema::Ema(double weight) : weight_(std::clamp(std::isfinite(weight) ? weight : 0.0, 0.0, 0.999)) {}

void Ema::extend(std::span<const double> values, std::vector<double>& out) {
  out.reserve(out.size() + values.size());
  for (double v : values) {
    ++seen_;
    if (!std::isfinite(v)) {
      out.push_back(v);
      continue;
    }
    average_ = average_ * weight_ + (1 - weight_) * v;
    weight_power_ *= weight_;
    // The average starts at 0; dividing by (1 - weight^n) removes that pull.
    const double debias = 1 - weight_power_;
    out.push_back(debias > 0 ? average_ / debias : v);
  }
}

std::vector<double> ema(std::span<const double> values, double weight) {
  std::vector<double> out;
  Ema smoother(weight);
  smoother.extend(values, out);
  return out;
}

}  // namespace orrery::series
