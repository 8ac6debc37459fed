// How one axis of the comparison's charts places runs: a numeric axis maps its range
// linearly onto 0..1 (a single value sits at 0.5); an axis with any non-numeric value
// is categorical, its distinct values ordered (numbers by value first, then text
// alphabetically) and spread evenly from 0 to 1 (one category sits at 0.5).
#pragma once

#include "compare/run_params.hpp"

#include <optional>
#include <string>
#include <vector>

namespace orrery::compare {

class AxisScale {
 public:
  // Parameter values of the runs, nullopt where a run lacks the parameter.
  static AxisScale of_params(const std::vector<std::optional<ParamValue>>& values);
  // Metric values of the runs, nullopt where a run lacks the metric; NaN and Inf are left
  // off the axis (they would stretch or break it) and placed nowhere.
  static AxisScale of_numbers(const std::vector<std::optional<double>>& values);

  bool categorical() const { return categorical_; }
  double min() const { return min_; }
  double max() const { return max_; }
  const std::vector<std::string>& categories() const { return categories_; }
  // Positions (0 = bottom/left, 1 = top/right) of the values the scale was made from.
  const std::vector<std::optional<double>>& positions() const { return positions_; }

 private:
  bool categorical_ = false;
  double min_ = 0, max_ = 0;
  std::vector<std::string> categories_;
  std::vector<std::optional<double>> positions_;
};

}  // namespace orrery::compare
