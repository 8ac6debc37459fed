#include "compare/axis_scale.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace orrery::compare {

namespace {

double linear_position(double v, double lo, double hi) { return hi > lo ? (v - lo) / (hi - lo) : 0.5; }

// Numbers before text, numbers by value, text alphabetically.
struct CategoryOrder {
  bool operator()(const ParamValue& a, const ParamValue& b) const {
    if (a.number.has_value() != b.number.has_value()) return a.number.has_value();
    if (a.number && *a.number != *b.number) return *a.number < *b.number;
    return a.text < b.text;
  }
};

}  // namespace

AxisScale AxisScale::of_numbers(const std::vector<std::optional<double>>& values) {
  AxisScale scale;
  bool any = false;
  for (const auto& v : values) {
    if (!v || !std::isfinite(*v)) continue;
    scale.min_ = any ? std::min(scale.min_, *v) : *v;
    scale.max_ = any ? std::max(scale.max_, *v) : *v;
    any = true;
  }
  for (const auto& v : values) {
    scale.positions_.push_back(v && std::isfinite(*v) ? std::optional<double>(linear_position(*v, scale.min_, scale.max_))
                                                      : std::nullopt);
  }
  return scale;
}

AxisScale AxisScale::of_params(const std::vector<std::optional<ParamValue>>& values) {
  const bool numeric = std::all_of(values.begin(), values.end(), [](const auto& v) { return !v || v->number; });
  if (numeric) {
    std::vector<std::optional<double>> numbers;
    for (const auto& v : values) numbers.push_back(v ? v->number : std::nullopt);
    return of_numbers(numbers);
  }
  AxisScale scale;
  scale.categorical_ = true;
  std::map<ParamValue, std::size_t, CategoryOrder> index;
  for (const auto& v : values)
    if (v) index.emplace(*v, 0);
  std::size_t i = 0;
  for (auto& [value, slot] : index) {
    slot = i++;
    scale.categories_.push_back(value.text);
  }
  scale.max_ = static_cast<double>(index.empty() ? 0 : index.size() - 1);
  for (const auto& v : values) {
    scale.positions_.push_back(v ? std::optional<double>(linear_position(static_cast<double>(index.at(*v)), 0, scale.max_))
                                 : std::nullopt);
  }
  return scale;
}

}  // namespace orrery::compare
