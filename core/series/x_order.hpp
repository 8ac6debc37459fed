// The x order the decimator needs. Steps may repeat or go backwards in odd files (a
// run resumed from an older checkpoint logs its steps again; a wall clock can be set
// back), and binary search needs a non-decreasing x column. The policy: a column that
// is already non-decreasing (the usual case) is used in place, with no copy; one that
// is not is drawn from a copy sorted by x, stably, so points of equal x keep their
// arrival order. Every point is kept: nothing is dropped or replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace orrery::series {

// Whether x[from..] keeps x non-decreasing, given that x[..from) already does; lets a
// caller check only what arrived since its last look.
template <class X>
bool non_decreasing_from(std::span<const X> x, std::size_t from);

// The permutation that sorts x ascending, stably.
template <class X>
std::vector<std::size_t> stable_order(std::span<const X> x);

// column reordered by order (order from stable_order).
template <class T>
std::vector<T> permuted(std::span<const T> column, const std::vector<std::size_t>& order) {
  std::vector<T> out;
  out.reserve(order.size());
  for (std::size_t i : order) out.push_back(column[i]);
  return out;
}

extern template bool non_decreasing_from<double>(std::span<const double>, std::size_t);
extern template bool non_decreasing_from<std::int64_t>(std::span<const std::int64_t>, std::size_t);
extern template std::vector<std::size_t> stable_order<double>(std::span<const double>);
extern template std::vector<std::size_t> stable_order<std::int64_t>(std::span<const std::int64_t>);

}  // namespace orrery::series
