// Decimation for drawing, not sampling: a series reduced to the points that draw the
// same picture at a given pixel width. For the visible x range the visible slice of
// the sorted x column is found by binary search; each pixel column then keeps its
// first, lowest, highest and last point (in x order), so the polyline still reaches
// every spike at any zoom. When the slice holds fewer than two points per column the
// raw points come back untouched: zooming in shows the real data.
#pragma once

#include "series/minmax_blocks.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace orrery::series {

struct Points {
  std::vector<double> x;
  std::vector<double> y;
};

// The pixel column of x in [x_min, x_max] split into `columns` equal columns; x_max
// falls in the last column, and a range of zero width is one column. The contract
// the decimator and its tests share.
int pixel_column(double x, double x_min, double x_max, int columns);

// x must be non-decreasing (x_order.hpp makes a sorted copy of a column that is not),
// and as long as y. Points whose y is not finite (NaN, inf: a diverged loss) are left
// out: they cannot be drawn. Besides the points inside [x_min, x_max], the nearest
// drawable point on each side outside the range is kept so the line runs to the
// edges of the view. columns < 1 is taken as 1. blocks, when given, is the summary of
// this very y (MinMaxBlocks::update(y)): the result is the same, read in 1/64 of the time.
template <class X>
Points decimate_min_max(std::span<const X> x, std::span<const double> y, double x_min, double x_max, int columns,
                        const MinMaxBlocks* blocks = nullptr);

extern template Points decimate_min_max<double>(std::span<const double>, std::span<const double>, double, double,
                                                int, const MinMaxBlocks*);
extern template Points decimate_min_max<std::int64_t>(std::span<const std::int64_t>, std::span<const double>,
                                                      double, double, int, const MinMaxBlocks*);

}  // namespace orrery::series
