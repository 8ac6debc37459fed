// Anchored decimation against a brute-force reference: after any sequence of pans the
// points kept are exactly the first, lowest, highest and last drawable point of every
// grid column that meets the view (columns laid from the first view's left edge), plus
// the nearest drawable neighbour on each side; a pan reduces only the new columns; a
// zoom, new points or a sparse view start over.
#include "series/anchored_decimation.hpp"

#include "series_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

using orrery::series::AnchoredDecimation;
using orrery::series::decimate_min_max;
using orrery::series::MinMaxBlocks;
using orrery::series::Points;
using orrery::series::testing::spiky_data;

namespace {

// Every point looked at; its column by the same formula the contract states.
template <class X>
Points reference(const std::vector<X>& x, const std::vector<double>& y, double anchor, double width, double x_min,
                 double x_max) {
  const auto column = [&](std::size_t i) {
    return static_cast<std::int64_t>(std::floor((static_cast<double>(x[i]) - anchor) / width));
  };
  const std::int64_t first = static_cast<std::int64_t>(std::floor((x_min - anchor) / width));
  const std::int64_t last = static_cast<std::int64_t>(std::floor((x_max - anchor) / width));
  std::vector<std::size_t> kept;
  std::size_t left = SIZE_MAX, right = SIZE_MAX;
  for (std::size_t i = 0; i < x.size();) {
    std::size_t j = i;
    while (j < x.size() && column(j) == column(i)) ++j;   // [i, j): one column
    const std::int64_t c = column(i);
    std::size_t lo = SIZE_MAX, hi = SIZE_MAX, firsti = SIZE_MAX, lasti = SIZE_MAX;
    for (std::size_t k = i; k < j; ++k) {
      if (!std::isfinite(y[k])) continue;
      if (c < first) left = k;
      if (c > last && right == SIZE_MAX) right = k;
      if (firsti == SIZE_MAX) firsti = k;
      lasti = k;
      if (lo == SIZE_MAX || y[k] < y[lo]) lo = k;
      if (hi == SIZE_MAX || y[k] > y[hi]) hi = k;
    }
    if (c >= first && c <= last && firsti != SIZE_MAX) {
      std::vector<std::size_t> four{firsti, lo, hi, lasti};
      std::sort(four.begin(), four.end());
      four.erase(std::unique(four.begin(), four.end()), four.end());
      kept.insert(kept.end(), four.begin(), four.end());
    }
    i = j;
  }
  Points out;
  const auto push = [&](std::size_t i) {
    out.x.push_back(static_cast<double>(x[i]));
    out.y.push_back(y[i]);
  };
  if (left != SIZE_MAX) push(left);
  for (std::size_t i : kept) push(i);
  if (right != SIZE_MAX) push(right);
  return out;
}

void expect_same(const Points& got, const Points& want, const char* what, int view) {
  ASSERT_EQ(got.x.size(), want.x.size()) << what << ", view " << view;
  for (std::size_t i = 0; i < got.x.size(); ++i) {
    ASSERT_EQ(got.x[i], want.x[i]) << what << ", view " << view << ", point " << i;
    ASSERT_EQ(got.y[i], want.y[i]) << what << ", view " << view << ", point " << i;
  }
}

template <class X>
void pan_around(const std::vector<X>& x, const std::vector<double>& y, const char* what) {
  MinMaxBlocks blocks;
  blocks.update(y);
  AnchoredDecimation anchored;
  const double x0 = static_cast<double>(x.front()), x1 = static_cast<double>(x.back());
  const int columns = 300;
  double lo = x0 + 0.2 * (x1 - x0), hi = x0 + 0.4 * (x1 - x0);
  const double anchor = lo, width = (hi - lo) / columns;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> shift(-0.3, 0.3);
  for (int view = 0; view < 40; ++view) {
    const Points got = anchored.decimate<X>(x, y, lo, hi, columns, blocks);
    expect_same(got, reference(x, y, anchor, width, lo, hi), what, view);
    // Pans of up to 30 % of the view either way; every tenth one jumps beyond the kept columns.
    const double d = (view % 10 == 9 ? 3.0 : shift(rng)) * (hi - lo);
    lo += d;
    hi += d;
  }
}

}  // namespace

TEST(AnchoredDecimation, PansKeepExactlyTheExtremesOfEveryGridColumn) {
  const auto d = spiky_data(60'000, 3);
  pan_around(d.times, d.values, "times");
  pan_around(d.steps, d.values, "steps");
}

TEST(AnchoredDecimation, APanReducesOnlyTheColumnsThatComeIntoView) {
  const auto d = spiky_data(200'000, 5);
  MinMaxBlocks blocks;
  blocks.update(d.values);
  AnchoredDecimation anchored;
  const int columns = 1000;
  const double x0 = d.times.front(), span = d.times.back() - x0;
  double lo = x0 + 0.3 * span, hi = x0 + 0.5 * span;
  anchored.decimate<double>(d.times, d.values, lo, hi, columns, blocks);
  EXPECT_GE(anchored.columns_reduced(), columns);   // the first view: all of its columns
  const double step = 0.05 * (hi - lo);             // a pan by 5 % of the view: ~50 new columns
  for (int i = 0; i < 5; ++i) {
    lo += step;
    hi += step;
    anchored.decimate<double>(d.times, d.values, lo, hi, columns, blocks);
    EXPECT_GE(anchored.columns_reduced(), 49);
    EXPECT_LE(anchored.columns_reduced(), 51);
  }
  lo -= 2 * step;  // back: the columns on the left were dropped with the view, reduced again
  hi -= 2 * step;
  anchored.decimate<double>(d.times, d.values, lo, hi, columns, blocks);
  EXPECT_LE(anchored.columns_reduced(), 102);
  // A zoom (another column width) starts over.
  anchored.decimate<double>(d.times, d.values, lo, lo + 0.8 * (hi - lo), columns, blocks);
  EXPECT_GE(anchored.columns_reduced(), columns);
}

TEST(AnchoredDecimation, NewPointsStartOver) {
  auto d = spiky_data(50'000, 9);
  MinMaxBlocks blocks;
  blocks.update(d.values);
  AnchoredDecimation anchored;
  const double lo = d.times[10'000], hi = d.times[40'000];
  anchored.decimate<double>(d.times, d.values, lo, hi, 200, blocks);
  // A live run: a new point inside the view changes its column's extremes.
  d.times.push_back(d.times.back() + 1);
  d.values.push_back(1e9);
  d.values[20'000] = -1e9;   // (the summary sees it: rebuilt below)
  MinMaxBlocks rebuilt;
  rebuilt.update(d.values);
  const Points got = anchored.decimate<double>(d.times, d.values, lo, hi, 200, rebuilt);
  EXPECT_GE(anchored.columns_reduced(), 200);
  EXPECT_NE(std::find(got.y.begin(), got.y.end(), -1e9), got.y.end());
}

TEST(AnchoredDecimation, SparseViewsAreTheRawPoints) {
  const auto d = spiky_data(5'000, 11);
  MinMaxBlocks blocks;
  blocks.update(d.values);
  AnchoredDecimation anchored;
  const double lo = d.times[1000], hi = d.times[1500];   // 500 points for 400 columns
  const Points got = anchored.decimate<double>(d.times, d.values, lo, hi, 400, blocks);
  expect_same(got, decimate_min_max<double>(d.times, d.values, lo, hi, 400), "sparse", 0);
  EXPECT_TRUE(anchored.decimate<double>(std::vector<double>{}, std::vector<double>{}, 0, 1, 10, blocks).x.empty());
}
