#include "series/decimate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace orrery::series {

int pixel_column(double x, double x_min, double x_max, int columns) {
  if (columns <= 1 || !(x_max > x_min)) return 0;
  const double f = (x - x_min) / (x_max - x_min) * columns;
  if (!(f > 0)) return 0;                 // left of the range, or NaN
  if (f >= columns) return columns - 1;   // x_max itself, or right of the range
  return static_cast<int>(f);
}

template <class X>
Points decimate_min_max(std::span<const X> x, std::span<const double> y, double x_min, double x_max, int columns,
                        const MinMaxBlocks* blocks) {
  if (x.size() != y.size()) throw std::invalid_argument("decimate_min_max: x and y of different lengths");
  Points out;
  columns = std::max(columns, 1);
  if (x.empty() || !(x_max >= x_min)) return out;

  const auto as_double = [](X v) { return static_cast<double>(v); };
  const auto lo = static_cast<std::size_t>(
      std::partition_point(x.begin(), x.end(), [&](X v) { return as_double(v) < x_min; }) - x.begin());
  const auto hi = static_cast<std::size_t>(
      std::partition_point(x.begin() + static_cast<std::ptrdiff_t>(lo), x.end(),
                           [&](X v) { return as_double(v) <= x_max; }) - x.begin());
  const auto push = [&](std::size_t i) {
    out.x.push_back(as_double(x[i]));
    out.y.push_back(y[i]);
  };

  // The nearest drawable neighbour left of the range, so the line enters the view.
  for (std::size_t i = lo; i-- > 0;) {
    if (std::isfinite(y[i])) { push(i); break; }
  }

  const std::size_t visible = hi - lo;
  if (visible < 2 * static_cast<std::size_t>(columns)) {
    for (std::size_t i = lo; i < hi; ++i) {
      if (std::isfinite(y[i])) push(i);
    }
  } else {
    out.x.reserve(out.x.size() + 4 * static_cast<std::size_t>(columns) + 2);
    out.y.reserve(out.x.capacity());
    // Points per column if x were even: where the search for a column's end starts.
    const std::size_t guess = std::max<std::size_t>(1, visible / static_cast<std::size_t>(columns));
    std::size_t begin = lo;
    while (begin < hi) {
      // pixel_column is monotone in x, so each column is one contiguous slice. Its end
      // is searched near where an even x would put it (galloping out from the guess,
      // then a binary search in the bracket found): a few reads in cache, where a binary
      // search over the whole rest of a long column misses the cache at every step.
      const int column = pixel_column(as_double(x[begin]), x_min, x_max, columns);
      const auto beyond = [&](std::size_t i) { return pixel_column(as_double(x[i]), x_min, x_max, columns) > column; };
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
                               [&](X v) { return pixel_column(as_double(v), x_min, x_max, columns) <= column; }) -
          x.begin());
      const SliceExtremes c = blocks ? blocks->extremes(y, begin, end) : scan_extremes(y, begin, end);
      if (c.first != kNoPoint) {
        std::array<std::size_t, 4> keep{c.first, c.lowest, c.highest, c.last};
        std::sort(keep.begin(), keep.end());
        std::size_t previous = kNoPoint;
        for (std::size_t i : keep) {
          if (i != previous) push(i);
          previous = i;
        }
      }
      begin = end;
    }
  }

  // The nearest drawable neighbour right of the range, so the line leaves the view.
  for (std::size_t i = hi; i < x.size(); ++i) {
    if (std::isfinite(y[i])) { push(i); break; }
  }
  return out;
}

template Points decimate_min_max<double>(std::span<const double>, std::span<const double>, double, double, int,
                                         const MinMaxBlocks*);
template Points decimate_min_max<std::int64_t>(std::span<const std::int64_t>, std::span<const double>, double,
                                               double, int, const MinMaxBlocks*);

}  // namespace orrery::series
