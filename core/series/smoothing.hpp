// EMA smoothing of a metric, as the charts' smoothing slider applies it: the
// debiased exponential moving average TensorBoard users know (the first points are
// not dragged towards zero). It can be extended as points arrive, so a live series is
// never smoothed twice from the start.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace orrery::series {

class Ema {
 public:
  // weight in [0, 1): 0 leaves the values unchanged; closer to 1 smooths more.
  // Values outside are clamped.
  explicit Ema(double weight);
  double weight() const { return weight_; }
  // Appends the smoothed value of each of `values` to `out`, continuing from the values
  // seen before. A non-finite value is passed through as it is (the chart leaves it
  // out) and does not disturb the average.
  void extend(std::span<const double> values, std::vector<double>& out);
  std::size_t seen() const { return seen_; }

 private:
  double weight_;
  double average_ = 0;       // biased running average
  double weight_power_ = 1;  // weight^(finite values seen), for the debiasing
  std::size_t seen_ = 0;     // values given to extend(), finite or not
};

// The whole series smoothed at once.
std::vector<double> ema(std::span<const double> values, double weight);

}  // namespace orrery::series
