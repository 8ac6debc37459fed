// The walk over pixel columns that both decimators share (decimate.cpp: columns laid
// over the view; anchored_decimation.cpp: columns laid from a fixed anchor in data
// space). Internal to core/series.
#pragma once

#include "series/minmax_blocks.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

namespace orrery::series::detail {

// Splits x[begin, hi) (sorted) into the slices of equal column_of(x) and calls
// slice(column_begin, column_end) for each, left to right. column_of must be
// non-decreasing in x. guess: points per column if x were even, where the search for
// a column's end starts (galloping out from it, then a binary search in the bracket
// found): a few reads in cache, where a binary search over the whole rest of a long
// column misses the cache at every step.
template <class X, class ColumnOf, class Slice>
void for_each_column(std::span<const X> x, std::size_t begin, std::size_t hi, std::size_t guess, ColumnOf column_of,
                     Slice slice) {
  guess = std::max<std::size_t>(1, guess);
  while (begin < hi) {
    const auto column = column_of(x[begin]);
    const auto beyond = [&](std::size_t i) { return column_of(x[i]) > column; };
    std::size_t inside_end = begin + 1, beyond_from = hi;  // [begin, inside_end) inside; [beyond_from, hi) beyond
    const std::size_t start = std::min(hi, begin + guess);
    if (start < hi && !beyond(start)) {
      inside_end = start + 1;
      for (std::size_t step = 1;; step *= 2) {
        const std::size_t probe = start + step;
        if (probe >= hi) break;
        if (beyond(probe)) {
          beyond_from = probe;
          break;
        }
        inside_end = probe + 1;
      }
    } else {
      beyond_from = start;
      for (std::size_t step = 1; start - begin > step; step *= 2) {
        const std::size_t probe = start - step;
        if (!beyond(probe)) {
          inside_end = probe + 1;
          break;
        }
        beyond_from = probe;
      }
    }
    const auto end = static_cast<std::size_t>(
        std::partition_point(x.begin() + static_cast<std::ptrdiff_t>(inside_end),
                             x.begin() + static_cast<std::ptrdiff_t>(beyond_from),
                             [&](X v) { return !(column_of(v) > column); }) -
        x.begin());
    slice(begin, end);
    begin = end;
  }
}

// Calls keep(i) for the first, lowest, highest and last point of a slice, in x order,
// each index once.
template <class Keep>
void keep_extremes(const SliceExtremes& c, Keep keep) {
  if (c.first == kNoPoint) return;
  std::array<std::size_t, 4> kept{c.first, c.lowest, c.highest, c.last};
  std::sort(kept.begin(), kept.end());
  std::size_t previous = kNoPoint;
  for (std::size_t i : kept) {
    if (i != previous) keep(i);
    previous = i;
  }
}

}  // namespace orrery::series::detail
