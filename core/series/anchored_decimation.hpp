// Min/max decimation whose pixel columns are anchored in data space, so that a pan
// reduces only the columns that come into view.
//
// decimate_min_max lays its columns over the view: after a pan by 5 % every column
// boundary has moved and every column is reduced again, reading the series and its
// block summaries across the whole view (memory-bound: after the chart has painted,
// those bytes are out of the caches). Here the columns have the view's width in data
// units but start at an anchor fixed when the width was set, so a pan by any amount
// keeps the columns it still shows and reduces only the new strip at the edge. The
// view's first and last columns may reach up to one column beyond it (the plot clips
// them). A new width (a zoom), different data (new points, another series) or a view
// with fewer than two points per column starts over from the view, as decimate_min_max.
#pragma once

#include "series/decimate.hpp"
#include "series/minmax_blocks.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace orrery::series {

class AnchoredDecimation {
 public:
  // Same contract as decimate_min_max(x, y, x_min, x_max, columns, &blocks), for x
  // non-decreasing and blocks the summary of this very y, except that the columns are
  // [anchor + k·w, anchor + (k+1)·w) with w = (x_max - x_min) / columns, for every k
  // that meets [x_min, x_max].
  template <class X>
  Points decimate(std::span<const X> x, std::span<const double> y, double x_min, double x_max, int columns,
                  const MinMaxBlocks& blocks);

  // Forget the columns kept (the data under them changed in place).
  void reset() { *this = {}; }

  // For tests: how many columns the last call reduced (the rest came from the cache).
  std::int64_t columns_reduced() const { return reduced_; }

 private:
  // A kept point's coordinates, not its index: assembling the view from the cache then
  // reads these few kilobytes in order, not one scattered point of the series per entry
  // (a cache miss each, after painting: most of a pan's time before this was kept).
  struct Kept {
    double x, y;
  };
  template <class X>
  std::vector<Kept> reduce(std::span<const X> x, std::span<const double> y, const MinMaxBlocks& blocks,
                           std::int64_t first, std::int64_t last) const;
  std::int64_t column_of(double x) const;

  // What the kept columns were computed from.
  const void* x_data_ = nullptr;
  const double* y_data_ = nullptr;
  std::size_t size_ = 0;
  double anchor_ = 0, width_ = 0;
  // Columns [first_, last_] of the grid; kept_: their kept points, in x order.
  std::int64_t first_ = 0, last_ = -1;
  std::vector<Kept> kept_;
  std::int64_t reduced_ = 0;
};

extern template Points AnchoredDecimation::decimate<double>(std::span<const double>, std::span<const double>, double,
                                                            double, int, const MinMaxBlocks&);
extern template Points AnchoredDecimation::decimate<std::int64_t>(std::span<const std::int64_t>,
                                                                  std::span<const double>, double, double, int,
                                                                  const MinMaxBlocks&);

}  // namespace orrery::series
