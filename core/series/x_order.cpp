#include "series/x_order.hpp"

#include <algorithm>
#include <numeric>

namespace orrery::series {

template <class X>
bool non_decreasing_from(std::span<const X> x, std::size_t from) {
  for (std::size_t i = std::max<std::size_t>(from, 1); i < x.size(); ++i) {
    if (x[i] < x[i - 1]) return false;
  }
  return true;
}

template <class X>
std::vector<std::size_t> stable_order(std::span<const X> x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  return order;
}

template bool non_decreasing_from<double>(std::span<const double>, std::size_t);
template bool non_decreasing_from<std::int64_t>(std::span<const std::int64_t>, std::size_t);
template std::vector<std::size_t> stable_order<double>(std::span<const double>);
template std::vector<std::size_t> stable_order<std::int64_t>(std::span<const std::int64_t>);

}  // namespace orrery::series
