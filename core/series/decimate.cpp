#include "series/decimate.hpp"

#include "series/column_scan.hpp"

#include <algorithm>
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
    const auto column_of = [&](X v) { return pixel_column(as_double(v), x_min, x_max, columns); };
    detail::for_each_column(x, lo, hi, visible / static_cast<std::size_t>(columns), column_of,
                            [&](std::size_t begin, std::size_t end) {
                              detail::keep_extremes(blocks ? blocks->extremes(y, begin, end)
                                                           : scan_extremes(y, begin, end),
                                                    push);
                            });
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
