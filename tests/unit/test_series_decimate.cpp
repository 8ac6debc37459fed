// Decimation against a brute-force reference: for every pixel column the lowest and
// highest visible value must survive exactly, on random data with spikes, NaNs,
// repeated x, and the edge cases (empty, one point, one column, range outside).
#include "series/decimate.hpp"

#include "series_test_support.hpp"

#include <gtest/gtest.h>

#include <span>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

using orrery::series::decimate_min_max;
using orrery::series::pixel_column;
using orrery::series::Points;
using orrery::series::testing::Data;
using orrery::series::testing::spiky_data;

namespace {

struct Extremes {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
};

// The reference: a division per point, every point looked at.
template <class X>
std::map<int, Extremes> brute_force(const std::vector<X>& x, const std::vector<double>& y, double x_min, double x_max,
                                    int columns) {
  std::vector<Extremes> column(static_cast<std::size_t>(std::max(columns, 1)));
  std::vector<bool> hit(column.size(), false);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = static_cast<double>(x[i]);
    if (xi < x_min || xi > x_max || !std::isfinite(y[i])) continue;
    const auto c = static_cast<std::size_t>(pixel_column(xi, x_min, x_max, columns));
    column[c].lo = std::min(column[c].lo, y[i]);
    column[c].hi = std::max(column[c].hi, y[i]);
    hit[c] = true;
  }
  std::map<int, Extremes> out;
  for (std::size_t c = 0; c < column.size(); ++c) {
    if (hit[c]) out[static_cast<int>(c)] = column[c];
  }
  return out;
}

template <class X>
void check_against_reference(const std::vector<X>& x, const std::vector<double>& y, double x_min, double x_max,
                             int columns) {
  SCOPED_TRACE(::testing::Message() << "n=" << x.size() << " range=[" << x_min << ", " << x_max
                                    << "] columns=" << columns);
  const Points got = decimate_min_max<X>(x, y, x_min, x_max, columns);
  ASSERT_EQ(got.x.size(), got.y.size());
  ASSERT_TRUE(std::is_sorted(got.x.begin(), got.x.end()));

  // Every point given back is a point of the input, each at most once. x is sorted (the
  // decimator's contract), so the candidates are found by binary search, not by a set of
  // every point: the sanitized, unoptimised build runs this too.
  std::vector<bool> used(x.size(), false);
  for (std::size_t i = 0; i < got.x.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got.y[i]));
    auto at = static_cast<std::size_t>(
        std::lower_bound(x.begin(), x.end(), got.x[i], [](X v, double want) { return static_cast<double>(v) < want; }) -
        x.begin());
    while (at < x.size() && static_cast<double>(x[at]) == got.x[i] && (used[at] || y[at] != got.y[i])) ++at;
    ASSERT_TRUE(at < x.size() && static_cast<double>(x[at]) == got.x[i]) << "invented point " << got.x[i] << ", "
                                                                        << got.y[i];
    used[at] = true;
  }

  std::map<int, Extremes> drawn;
  std::size_t inside = 0, left = 0, right = 0;
  for (std::size_t i = 0; i < got.x.size(); ++i) {
    if (got.x[i] < x_min) { ++left; continue; }
    if (got.x[i] > x_max) { ++right; continue; }
    ++inside;
    auto& e = drawn[pixel_column(got.x[i], x_min, x_max, columns)];
    e.lo = std::min(e.lo, got.y[i]);
    e.hi = std::max(e.hi, got.y[i]);
  }
  const auto expected = brute_force(x, y, x_min, x_max, columns);
  ASSERT_EQ(drawn.size(), expected.size()) << "columns with points differ";
  for (const auto& [column, e] : expected) {
    ASSERT_TRUE(drawn.count(column)) << "column " << column << " lost";
    EXPECT_EQ(drawn[column].lo, e.lo) << "column " << column;
    EXPECT_EQ(drawn[column].hi, e.hi) << "column " << column;
  }
  // At most first/min/max/last per column, and one neighbour on each side.
  EXPECT_LE(left, 1u);
  EXPECT_LE(right, 1u);
  std::size_t visible_finite = 0, finite_left = 0, finite_right = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i])) continue;
    const double xi = static_cast<double>(x[i]);
    if (xi < x_min) ++finite_left;
    else if (xi > x_max) ++finite_right;
    else ++visible_finite;
  }
  if (x_max >= x_min) {
    EXPECT_EQ(left, finite_left ? 1u : 0u);
    EXPECT_EQ(right, finite_right ? 1u : 0u);
  }
  EXPECT_LE(inside, std::max<std::size_t>(4 * static_cast<std::size_t>(columns), 2 * static_cast<std::size_t>(columns)));
  // Fewer than two points per column: the raw points, all of them.
  std::size_t visible_all = 0;
  for (const auto& xi : x) visible_all += static_cast<double>(xi) >= x_min && static_cast<double>(xi) <= x_max;
  if (visible_all < 2 * static_cast<std::size_t>(std::max(columns, 1))) {
    EXPECT_EQ(inside, visible_finite);
  }
}

}  // namespace

TEST(SeriesDecimate, MatchesBruteForceOnRandomDataWithSpikes) {
  const std::size_t sizes[] = {2, 3, 17, 1000, 4099, 100000};
  const int widths[] = {1, 2, 7, 640, 1917};
  for (unsigned seed = 0; seed < 40; ++seed) {
    for (std::size_t n : sizes) {
      if (n >= 100000 && seed >= 4) continue;  // the reference is slow; a few seeds suffice
      const Data d = spiky_data(n, seed * 7919 + static_cast<unsigned>(n));
      std::mt19937_64 rng(seed);
      const double t0 = d.times.front(), t1 = d.times.back();
      const double s0 = static_cast<double>(d.steps.front()), s1 = static_cast<double>(d.steps.back());
      for (int columns : widths) {
        // whole data, a random window, a window on exact data x values.
        std::uniform_real_distribution<double> tu(t0, t1), su(s0, s1);
        double a = tu(rng), b = tu(rng);
        check_against_reference(d.times, d.values, t0, t1, columns);
        check_against_reference(d.times, d.values, std::min(a, b), std::max(a, b), columns);
        a = su(rng), b = su(rng);
        check_against_reference(d.steps, d.values, s0, s1, columns);
        check_against_reference(d.steps, d.values, std::floor(std::min(a, b)), std::ceil(std::max(a, b)), columns);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(SeriesDecimate, EdgeCases) {
  const std::vector<double> none;
  EXPECT_TRUE(decimate_min_max<double>(none, none, 0, 1, 100).x.empty());

  const std::vector<double> one_x{5}, one_y{2};
  auto got = decimate_min_max<double>(one_x, one_y, 0, 10, 100);
  ASSERT_EQ(got.x.size(), 1u);
  EXPECT_EQ(got.x[0], 5);
  EXPECT_EQ(got.y[0], 2);
  check_against_reference(one_x, one_y, 0, 10, 100);
  check_against_reference(one_x, one_y, 5, 5, 100);  // zero-width range on the point

  const Data d = spiky_data(50000, 42);
  const double t0 = d.times.front(), t1 = d.times.back();
  // Range wholly left or right of the data: only the neighbour that leads into the view.
  got = decimate_min_max<double>(d.times, d.values, t0 - 100, t0 - 50, 800);
  EXPECT_EQ(got.x.size(), 1u);
  EXPECT_GE(got.x[0], t0);
  got = decimate_min_max<double>(d.times, d.values, t1 + 50, t1 + 100, 800);
  EXPECT_EQ(got.x.size(), 1u);
  EXPECT_LE(got.x[0], t1);
  check_against_reference(d.times, d.values, t1 + 50, t1 + 100, 800);
  // All points in one column.
  check_against_reference(d.times, d.values, t0, t1, 1);
  check_against_reference(d.steps, d.values, static_cast<double>(d.steps[100]), static_cast<double>(d.steps[100]), 640);
  // A reversed range draws nothing.
  EXPECT_TRUE(decimate_min_max<double>(d.times, d.values, t1, t0, 800).x.empty());
  // Many points in few columns: bounded output, ~4 per column.
  got = decimate_min_max<double>(d.times, d.values, t0, t1, 100);
  EXPECT_LE(got.x.size(), 4u * 100u + 2u);
  EXPECT_GE(got.x.size(), 100u);

  // A spike of one point among a million survives a full zoom-out.
  std::vector<double> x(1'000'000), y(1'000'000, 1.0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
  y[777'777] = 1e9;
  y[123'456] = -1e9;
  got = decimate_min_max<double>(x, y, 0, 999'999, 300);
  EXPECT_EQ(*std::max_element(got.y.begin(), got.y.end()), 1e9);
  EXPECT_EQ(*std::min_element(got.y.begin(), got.y.end()), -1e9);

  // Lengths that differ are a caller error.
  const std::vector<double> two{1, 2};
  EXPECT_THROW(decimate_min_max<double>(two, one_y, 0, 1, 10), std::invalid_argument);
}

// Columns of very different sizes (dense bursts, long gaps, empty columns): the search
// for a column's end starts from the mean column size and must find the same slices.
TEST(SeriesDecimate, UnevenDensityMatchesBruteForce) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> x, y;
  double t = 0;
  for (int burst = 0; burst < 60; ++burst) {
    const int n = 1 + static_cast<int>(rng() % 4000);
    for (int i = 0; i < n; ++i) {
      t += 1e-4 * unit(rng);
      x.push_back(t);
      y.push_back(unit(rng) < 0.001 ? 1e6 : unit(rng));
    }
    t += 100 * unit(rng);  // a gap over many columns
  }
  for (int columns : {7, 300, 1200, 5000}) {
    check_against_reference(x, y, x.front(), x.back(), columns);
    check_against_reference(x, y, x[x.size() / 3], x[x.size() / 2], columns);
  }
}

TEST(SeriesDecimate, PixelColumnContract) {
  EXPECT_EQ(pixel_column(0, 0, 10, 10), 0);
  EXPECT_EQ(pixel_column(9.99, 0, 10, 10), 9);
  EXPECT_EQ(pixel_column(10, 0, 10, 10), 9);   // x_max in the last column
  EXPECT_EQ(pixel_column(-5, 0, 10, 10), 0);
  EXPECT_EQ(pixel_column(50, 0, 10, 10), 9);
  EXPECT_EQ(pixel_column(3, 3, 3, 10), 0);     // zero-width range: one column
  EXPECT_EQ(pixel_column(std::numeric_limits<double>::quiet_NaN(), 0, 10, 10), 0);
}

TEST(SeriesDecimate, BlockSummaryGivesTheSameAnswer) {
  for (unsigned seed = 0; seed < 12; ++seed) {
    const Data d = spiky_data(20000 + seed * 37, seed);
    // Summarised in pieces, as a live series grows, including partial blocks.
    orrery::series::MinMaxBlocks blocks;
    std::mt19937_64 rng(seed);
    for (std::size_t n = 0; n < d.values.size();) {
      n = std::min(d.values.size(), n + 1 + rng() % 3000);
      blocks.update(std::span<const double>(d.values).subspan(0, n));
    }
    for (int i = 0; i < 200; ++i) {
      std::size_t a = rng() % (d.values.size() + 1), b = rng() % (d.values.size() + 1);
      if (a > b) std::swap(a, b);
      const auto want = orrery::series::scan_extremes(d.values, a, b);
      const auto got = blocks.extremes(d.values, a, b);
      ASSERT_EQ(got.first, want.first) << a << ".." << b;
      ASSERT_EQ(got.last, want.last);
      ASSERT_EQ(got.lowest, want.lowest);
      ASSERT_EQ(got.highest, want.highest);
    }
    const double t0 = d.times.front(), t1 = d.times.back();
    for (int columns : {1, 3, 100, 1200}) {
      const auto plain = decimate_min_max<double>(d.times, d.values, t0, t1, columns);
      const auto fast = decimate_min_max<double>(d.times, d.values, t0, t1, columns, &blocks);
      EXPECT_EQ(plain.x, fast.x);
      EXPECT_EQ(plain.y, fast.y);
      const double s0 = static_cast<double>(d.steps[d.steps.size() / 3]), s1 = static_cast<double>(d.steps.back());
      const auto plain_s = decimate_min_max<std::int64_t>(d.steps, d.values, s0, s1, columns);
      const auto fast_s = decimate_min_max<std::int64_t>(d.steps, d.values, s0, s1, columns, &blocks);
      EXPECT_EQ(plain_s.x, fast_s.x);
      EXPECT_EQ(plain_s.y, fast_s.y);
    }
  }
  // Ties and gaps: few distinct values (the earliest of equal extremes must win, also when
  // it sits inside a sub-block or block summary), and runs of NaN that empty whole
  // sub-blocks and blocks.
  {
    std::mt19937_64 rng(99);
    std::vector<double> y(20000);
    for (std::size_t i = 0; i < y.size(); ++i) {
      y[i] = static_cast<double>(rng() % 5);
      if (i % 1000 < 150 || rng() % 50 == 0) y[i] = std::numeric_limits<double>::quiet_NaN();
      if (rng() % 400 == 0) y[i] = -0.0;  // equal to 0.0: ties across signs of zero
    }
    orrery::series::MinMaxBlocks tied;
    for (std::size_t n = 0; n < y.size();) {
      n = std::min(y.size(), n + 1 + rng() % 700);
      tied.update(std::span<const double>(y).subspan(0, n));
    }
    for (int i = 0; i < 3000; ++i) {
      std::size_t a = rng() % (y.size() + 1), b = rng() % (y.size() + 1);
      if (a > b) std::swap(a, b);
      const auto want = orrery::series::scan_extremes(y, a, b);
      const auto got = tied.extremes(y, a, b);
      ASSERT_EQ(got.first, want.first) << a << ".." << b;
      ASSERT_EQ(got.last, want.last) << a << ".." << b;
      ASSERT_EQ(got.lowest, want.lowest) << a << ".." << b;
      ASSERT_EQ(got.highest, want.highest) << a << ".." << b;
    }
  }
  // A replaced (shorter) series starts over.
  orrery::series::MinMaxBlocks blocks;
  std::vector<double> y(1000, 1.0);
  blocks.update(y);
  y.assign(100, 2.0);
  y[70] = 9;
  blocks.update(y);
  EXPECT_EQ(blocks.extremes(y, 0, 100).highest, 70u);
}
