// fed-sim's aggregation rules and attacks: each rule's defining property on
// small hand-made update sets; the exact sums of the tree aggregation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fed/aggregate.hpp"
#include "fed/attack.hpp"
#include "fed/exact_sum.hpp"
#include "fed/flag_aggregator.hpp"
#include "test_support.hpp"

using namespace orrery::fed;

namespace {

// n updates of dimension d: honest ones near `centre`, the last `bad` far away at `outlier`.
std::vector<float> updates(std::size_t n, std::size_t d, std::size_t bad, float centre, float outlier, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> u(n * d);
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < d; ++i)
      u[k * d + i] = k < n - bad ? centre + static_cast<float>(rng.normal(0.0, 0.1)) : outlier;
  return u;
}

}  // namespace

TEST(FedAggregators, MeanIsWeightedBySamples) {
  const std::vector<float> u{1, 10, 3, 20};   // two clients, two coordinates
  const std::vector<double> w{1, 3};
  const auto m = mean_rule(UpdateView{u, 2}, w);
  EXPECT_FLOAT_EQ(m[0], 2.5f);    // (1*1 + 3*3) / 4
  EXPECT_FLOAT_EQ(m[1], 17.5f);   // (10 + 60) / 4
}

TEST(FedAggregators, MedianPerCoordinateOddAndEven) {
  const std::vector<float> odd{5, 0, 1, 100, -3, 7};   // 3 clients x 2: column 0 = 5,1,-3; column 1 = 0,100,7
  EXPECT_EQ(median_rule(UpdateView{odd, 2}), (std::vector<float>{1, 7}));
  const std::vector<float> even{1, 2, 3, 4};   // 4 clients x 1
  EXPECT_EQ(median_rule(UpdateView{even, 1}), (std::vector<float>{2.5f}));
}

TEST(FedAggregators, TrimmedMeanDropsBothEnds) {
  const std::vector<float> u{-100, 1, 2, 3, 1000};   // 5 clients x 1
  EXPECT_EQ(trimmed_mean_rule(UpdateView{u, 1}, 0.2), (std::vector<float>{2}));
  EXPECT_FLOAT_EQ(trimmed_mean_rule(UpdateView{u, 1}, 0.0)[0], 906.0f / 5.0f);
  try {
    trimmed_mean_rule(UpdateView{std::span(u).first(2), 1}, 0.5);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_CONTAINS(e.what(), "none would be left");
  }
}

TEST(FedAggregators, RobustRulesIgnoreAFifthOfOutliersWhereTheMeanDoesNot) {
  const std::size_t n = 20, d = 30, bad = 4;
  const auto u = updates(n, d, bad, 1.0f, -50.0f, 3);
  const std::vector<double> w(n, 1.0);
  const UpdateView v{u, d};
  EXPECT_LT(mean_rule(v, w)[0], -5.0f);
  for (float x : median_rule(v)) EXPECT_NEAR(x, 1.0f, 0.15f);
  for (float x : trimmed_mean_rule(v, 0.2)) EXPECT_NEAR(x, 1.0f, 0.15f);   // mean of the 12 lowest honest values
  const Aggregate k = krum_rule(v, bad, 1);
  ASSERT_EQ(k.selected.size(), 1u);
  EXPECT_LT(k.selected[0], n - bad);
  for (float x : k.update) EXPECT_NEAR(x, 1.0f, 0.5f);
}

TEST(FedAggregators, MultiKrumAveragesTheBestScoredHonestUpdates) {
  const std::size_t n = 12, d = 10, bad = 3;
  const auto u = updates(n, d, bad, 2.0f, 40.0f, 5);
  const Aggregate k = krum_rule(UpdateView{u, d}, bad, n - bad);
  ASSERT_EQ(k.selected.size(), n - bad);
  for (std::size_t i = 0; i < k.selected.size(); ++i) EXPECT_EQ(k.selected[i], i);   // exactly the honest ones
  for (float x : k.update) EXPECT_NEAR(x, 2.0f, 0.1f);
}

// The flag rule fits a subspace to the update directions with sines, not squared sines:
// five updates along e0 (with a little e1) and one large one along e2 give the 1-dimensional
// subspace e0, where the outlier has the smallest weight; a scaled sign flip (-10 times an
// honest update) lies in that subspace but the median of the coordinates ignores it.
TEST(FedAggregators, FlagRuleFitsTheSubspaceOfTheMajorityAndTakesItsMedian) {
  const std::size_t d = 3;
  std::vector<float> u = {1.0f, 0.1f, 0, 1.2f, -0.1f, 0, 0.9f, 0.05f, 0, 1.1f, 0, 0, 1.0f, -0.05f, 0, 0, 0, 50.0f};
  const FlagResult r = flag_rule(UpdateView{u, d}, 1);
  for (std::size_t k = 0; k < 5; ++k) EXPECT_GT(r.weights[k], 10 * r.weights[5]) << k;
  EXPECT_NEAR(r.update[0], 1.0, 0.05);   // median of 1.0, 1.2, 0.9, 1.1, 1.0, 0 (= 1.0)
  EXPECT_NEAR(r.update[2], 0.0, 1e-3);   // the outlier's direction is not in the result
  std::vector<float> flipped = u;
  std::fill(flipped.begin() + 15, flipped.end(), 0.0f);
  for (std::size_t i = 0; i < d; ++i) flipped[15 + i] = -10.0f * u[i];   // the sixth sends -10 x the first
  const FlagResult f = flag_rule(UpdateView{flipped, d}, 1);
  EXPECT_NEAR(f.update[0], 1.0, 0.1);
  EXPECT_LT(mean_rule(UpdateView{flipped, d}, std::vector<double>(6, 1.0))[0], 0.0f);   // the mean is turned around
}

TEST(FedAggregators, KrumRefusesTooFewUpdates) {
  const auto u = updates(6, 3, 0, 0.0f, 0.0f, 1);
  try {
    krum_rule(UpdateView{u, 3}, 2, 1);   // needs n >= 2f + 3 = 7
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_CONTAINS(e.what(), "krum needs more than 2f + 2 updates per round: 6 updates with f = 2");
  }
  EXPECT_THROW(krum_rule(UpdateView{u, 3}, 1, 6), std::invalid_argument);   // m > n - f
}

TEST(FedAttacks, SignFlipAndGaussianTamperTheUpdate) {
  std::vector<float> u{1, -2, 3, 0};
  Rng rng(1);
  tamper_update(AttackKind::sign_flip, 4.0, u, rng);
  EXPECT_EQ(u, (std::vector<float>{-4, 8, -12, 0}));
  std::vector<float> g(10000, 1.0f);   // rms 1
  tamper_update(AttackKind::gaussian, 3.0, g, rng);
  double s = 0, s2 = 0;
  for (float x : g) s += x, s2 += static_cast<double>(x) * x;
  EXPECT_NEAR(s / 10000, 0.0, 0.1);
  EXPECT_NEAR(std::sqrt(s2 / 10000), 3.0, 0.1);
  std::vector<float> same{1, 2};
  tamper_update(AttackKind::label_flip, 4.0, same, rng);
  EXPECT_EQ(same, (std::vector<float>{1, 2}));
}

TEST(FedAttacks, ByzantineSetIsSeededAndSized) {
  const auto a = choose_byzantine(100, 0.2, 1), b = choose_byzantine(100, 0.2, 1), c = choose_byzantine(100, 0.2, 2);
  EXPECT_EQ(std::count(a.begin(), a.end(), true), 20);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto small = choose_byzantine(10, 0.25, 1);   // floor(2.5)
  EXPECT_EQ(std::count(small.begin(), small.end(), true), 2);
}

TEST(FedAttacks, AlieShiftsByZStandardDeviations) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963985, 1e-6);
  // n = 20, f = 4: s = 11 - 4 = 7 supporters, z = Phi^-1(13/20).
  EXPECT_NEAR(alie_z(20, 4), normal_quantile(0.65), 1e-12);
  EXPECT_EQ(alie_z(2, 0), 0.0);   // no share in (0, 1)
  // Attackers 1 and 3 hold 0 and 2 in their single coordinate: mean 1, sd 1 -> 1 - 0.5 * 1.
  std::vector<float> u{9, 0, 9, 2};
  const std::vector<std::size_t> attackers{1, 3};
  alie_collude(u, 1, attackers, 0.5);
  EXPECT_EQ(u, (std::vector<float>{9, 0.5f, 9, 0.5f}));
}

TEST(FedExactSum, AnyGroupingGivesTheSameBits) {
  // 50 updates with awkward weights, summed one by one and in three uneven groups.
  const std::size_t n = 50, d = 64;
  const auto u = updates(n, d, 0, 0.3f, 0.0f, 9);
  std::vector<double> w(n);
  Rng rng(4);
  for (auto& x : w) x = rng.uniform(0.001, 0.05);
  std::vector<std::int64_t> one(d, 0), parts[3] = {std::vector<std::int64_t>(d, 0), std::vector<std::int64_t>(d, 0),
                                                   std::vector<std::int64_t>(d, 0)};
  for (std::size_t k = 0; k < n; ++k) add_fixed(one, std::span(u).subspan(k * d, d), w[k]);
  for (std::size_t k = 0; k < n; ++k) add_fixed(parts[k < 7 ? 0 : k < 31 ? 1 : 2], std::span(u).subspan(k * d, d), w[k]);
  std::vector<std::int64_t> tree(d, 0);
  for (std::size_t i = 0; i < d; ++i) tree[i] = parts[2][i] + (parts[0][i] + parts[1][i]);
  EXPECT_EQ(one, tree);
  // ... and it is the weighted sum to within the rounding of each term (2^-25 each).
  std::vector<float> p(d, 0.0f);
  apply_fixed(one, p);
  for (std::size_t i = 0; i < d; ++i) {
    double exact = 0;
    for (std::size_t k = 0; k < n; ++k) exact += w[k] * u[k * d + i];
    EXPECT_NEAR(p[i], exact, 1e-6);
  }
}

TEST(FedExactSum, RefusesTermsItCannotHold) {
  std::vector<std::int64_t> acc(1, 0);
  const std::vector<float> big{20000.0f}, nan{std::nanf("")};
  EXPECT_THROW(add_fixed(acc, big, 1.0), std::overflow_error);
  EXPECT_NO_THROW(add_fixed(acc, big, 0.5));
  EXPECT_THROW(add_fixed(acc, nan, 1.0), std::overflow_error);
}
