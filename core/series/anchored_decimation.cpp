#include "series/anchored_decimation.hpp"

#include "series/column_scan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace orrery::series {

std::int64_t AnchoredDecimation::column_of(double x) const {
  // Every column boundary comes from this one expression, so a point's column is the
  // same whichever strip it is reduced in.
  // Clamped: data far from a narrow view would overflow the integer (the order is kept).
  const double column = std::floor((x - anchor_) / width_);
  return static_cast<std::int64_t>(std::clamp(column, -4e18, 4e18));
}

template <class X>
std::vector<AnchoredDecimation::Kept> AnchoredDecimation::reduce(std::span<const X> x, std::span<const double> y,
                                                                 const MinMaxBlocks& blocks, std::int64_t first,
                                                                 std::int64_t last) const {
  const auto column = [&](X v) { return column_of(static_cast<double>(v)); };
  const auto begin = static_cast<std::size_t>(
      std::partition_point(x.begin(), x.end(), [&](X v) { return column(v) < first; }) - x.begin());
  const auto end = static_cast<std::size_t>(
      std::partition_point(x.begin() + static_cast<std::ptrdiff_t>(begin), x.end(),
                           [&](X v) { return column(v) <= last; }) - x.begin());
  std::vector<Kept> kept;
  kept.reserve(4 * static_cast<std::size_t>(last - first + 1));
  const auto guess = (end - begin) / static_cast<std::size_t>(last - first + 1);
  detail::for_each_column(x, begin, end, guess, column, [&](std::size_t b, std::size_t e) {
    detail::keep_extremes(blocks.extremes(y, b, e),
                          [&](std::size_t i) { kept.push_back({static_cast<double>(x[i]), y[i]}); });
  });
  return kept;
}

template <class X>
Points AnchoredDecimation::decimate(std::span<const X> x, std::span<const double> y, double x_min, double x_max,
                                    int columns, const MinMaxBlocks& blocks) {
  if (x.size() != y.size()) throw std::invalid_argument("AnchoredDecimation: x and y of different lengths");
  columns = std::max(columns, 1);
  const double width = (x_max - x_min) / columns;
  reduced_ = 0;
  if (x.empty() || !(width > 0) || !std::isfinite(width)) return decimate_min_max(x, y, x_min, x_max, columns, &blocks);
  // Fewer than two points per column: the raw points (decimate_min_max's answer).
  const auto lo = std::partition_point(x.begin(), x.end(), [&](X v) { return static_cast<double>(v) < x_min; });
  const auto hi = std::partition_point(lo, x.end(), [&](X v) { return static_cast<double>(v) <= x_max; });
  if (hi - lo < 2 * static_cast<std::ptrdiff_t>(columns)) return decimate_min_max(x, y, x_min, x_max, columns, &blocks);

  // The same data and the same width (to rounding: a pan moves both ends by the same
  // amount, so their difference can differ in the last bits) keep the grid.
  const bool same = x_data_ == x.data() && y_data_ == y.data() && size_ == x.size() &&
                    std::abs(width - width_) <= 1e-9 * width_;
  if (!same) {
    *this = {};
    x_data_ = x.data();
    y_data_ = y.data();
    size_ = x.size();
    anchor_ = x_min;
    width_ = width;
  }
  const std::int64_t first = column_of(x_min), last = column_of(x_max);
  if (kept_.empty() || last < first_ || first > last_) {
    kept_ = reduce(x, y, blocks, first, last);
    reduced_ = last - first + 1;
  } else {
    // Kept columns still in view, and the strips on either side reduced anew.
    std::vector<Kept> kept = first < first_ ? reduce(x, y, blocks, first, first_ - 1) : std::vector<Kept>{};
    const auto from = std::partition_point(kept_.begin(), kept_.end(), [&](const Kept& k) { return column_of(k.x) < first; });
    const auto to = std::partition_point(from, kept_.end(), [&](const Kept& k) { return column_of(k.x) <= last; });
    kept.insert(kept.end(), from, to);
    if (last > last_) {
      const auto right = reduce(x, y, blocks, last_ + 1, last);
      kept.insert(kept.end(), right.begin(), right.end());
    }
    reduced_ = std::max<std::int64_t>(0, first_ - first) + std::max<std::int64_t>(0, last - last_);
    kept_ = std::move(kept);
  }
  first_ = first;
  last_ = last;

  Points out;
  out.x.reserve(kept_.size() + 2);
  out.y.reserve(kept_.size() + 2);
  const auto push = [&](std::size_t i) {
    out.x.push_back(static_cast<double>(x[i]));
    out.y.push_back(y[i]);
  };
  // The nearest drawable neighbours outside the columns, so the line enters and leaves.
  const auto column = [&](X v) { return column_of(static_cast<double>(v)); };
  const auto begin = static_cast<std::size_t>(
      std::partition_point(x.begin(), x.end(), [&](X v) { return column(v) < first; }) - x.begin());
  for (std::size_t i = begin; i-- > 0;) {
    if (std::isfinite(y[i])) { push(i); break; }
  }
  for (const Kept& k : kept_) {
    out.x.push_back(k.x);
    out.y.push_back(k.y);
  }
  const auto end = static_cast<std::size_t>(
      std::partition_point(x.begin() + static_cast<std::ptrdiff_t>(begin), x.end(),
                           [&](X v) { return column(v) <= last; }) - x.begin());
  for (std::size_t i = end; i < x.size(); ++i) {
    if (std::isfinite(y[i])) { push(i); break; }
  }
  return out;
}

template Points AnchoredDecimation::decimate<double>(std::span<const double>, std::span<const double>, double, double,
                                                     int, const MinMaxBlocks&);
template Points AnchoredDecimation::decimate<std::int64_t>(std::span<const std::int64_t>, std::span<const double>,
                                                           double, double, int, const MinMaxBlocks&);

}  // namespace orrery::series
