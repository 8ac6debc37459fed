// EMA smoothing (the charts' slider) and the rank band (mean/min/max across ranks).
#include "series/rank_band.hpp"
#include "series/smoothing.hpp"
#include "series/x_order.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace orrery::series;

TEST(SeriesSmoothing, WeightZeroIsIdentity) {
  const std::vector<double> v{3, -1, 4, 1, 5};
  EXPECT_EQ(ema(v, 0), v);
}

TEST(SeriesSmoothing, DebiasedAverageByHand) {
  // w = 0.5: a1 = 0.5*2 = 1, debias 0.5 -> 2; a2 = 0.5*1 + 0.5*4 = 2.5, debias 0.75 -> 3.333...
  const std::vector<double> v{2, 4, 4};
  const auto s = ema(v, 0.5);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0], 2);
  EXPECT_DOUBLE_EQ(s[1], 2.5 / 0.75);
  EXPECT_DOUBLE_EQ(s[2], (0.5 * 2.5 + 0.5 * 4) / 0.875);
}

TEST(SeriesSmoothing, ConstantStaysConstantAndNoiseShrinks) {
  for (double v : ema(std::vector<double>(100, 7.0), 0.9)) EXPECT_NEAR(v, 7.0, 1e-12);
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> v(5000);
  for (auto& x : v) x = noise(rng);
  const auto s = ema(v, 0.95);
  double var_raw = 0, var_smooth = 0;
  for (std::size_t i = 1000; i < v.size(); ++i) var_raw += v[i] * v[i], var_smooth += s[i] * s[i];
  EXPECT_LT(var_smooth, var_raw / 10);
}

TEST(SeriesSmoothing, ExtendingEqualsWhole) {
  std::vector<double> v(1000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i) * 0.1) + (i % 97 == 0 ? 50 : 0);
  Ema live(0.8);
  std::vector<double> out;
  live.extend(std::span(v).subspan(0, 333), out);
  live.extend(std::span(v).subspan(333), out);
  EXPECT_EQ(out, ema(v, 0.8));
  EXPECT_EQ(live.seen(), v.size());
}

TEST(SeriesSmoothing, NonFiniteIsPassedThroughWithoutPoisoning) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto s = ema(std::vector<double>{1, nan, 1, INFINITY, 1}, 0.9);
  EXPECT_TRUE(std::isnan(s[1]));
  EXPECT_TRUE(std::isinf(s[3]));
  EXPECT_DOUBLE_EQ(s[0], 1);
  EXPECT_DOUBLE_EQ(s[2], 1);
  EXPECT_DOUBLE_EQ(s[4], 1);
}

TEST(SeriesRankBand, MeanMinMaxByStep) {
  Columns r0{{0, 1, 2}, {10, 11, 12}, {1, 2, 3}};
  Columns r1{{2, 0, 1}, {13.5, 10.5, 11.5}, {5, 3, -4}};   // out of order on purpose
  Columns r2{{1, 3}, {9, 14}, {std::nan(""), 8}};          // a NaN at step 1, a step only it has
  const auto band = rank_band({&r0, &r1, &r2});
  ASSERT_EQ(band.steps, (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(band.count, (std::vector<int>{2, 2, 2, 1}));
  EXPECT_DOUBLE_EQ(band.mean[0], 2);
  EXPECT_DOUBLE_EQ(band.min[0], 1);
  EXPECT_DOUBLE_EQ(band.max[0], 3);
  EXPECT_DOUBLE_EQ(band.mean[1], -1);
  EXPECT_DOUBLE_EQ(band.min[1], -4);
  EXPECT_DOUBLE_EQ(band.max[1], 2);
  EXPECT_DOUBLE_EQ(band.times[1], 9);   // the earliest time, the NaN's rank included
  EXPECT_DOUBLE_EQ(band.mean[2], 4);
  EXPECT_DOUBLE_EQ(band.mean[3], 8);
  EXPECT_DOUBLE_EQ(band.min[3], 8);
}

TEST(SeriesRankBand, StepWithNoFiniteValueIsAGap) {
  Columns r0{{5}, {1}, {std::nan("")}};
  const auto band = rank_band({&r0});
  ASSERT_EQ(band.steps.size(), 1u);
  EXPECT_EQ(band.count[0], 0);
  EXPECT_TRUE(std::isnan(band.mean[0]));
  EXPECT_TRUE(rank_band({}).steps.empty());
}

TEST(SeriesXOrder, StableSortKeepsArrivalOrderOfEqualSteps) {
  // A run resumed from step 2 logs steps 2..3 again.
  const std::vector<std::int64_t> steps{0, 1, 2, 3, 2, 3, 4};
  EXPECT_TRUE(non_decreasing_from<std::int64_t>(steps, 4) == false);
  EXPECT_TRUE(non_decreasing_from<std::int64_t>(std::span(steps).subspan(0, 4), 0));
  const auto order = stable_order<std::int64_t>(steps);
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 4, 3, 5, 6}));
  const std::vector<double> values{10, 11, 12, 13, 22, 23, 24};
  EXPECT_EQ(permuted<double>(values, order), (std::vector<double>{10, 11, 12, 22, 13, 23, 24}));
}
