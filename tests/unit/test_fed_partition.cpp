// fed-sim's partitions (iid, Dirichlet label skew, quantity skew), client sampling,
// the rank blocks, and the seeded random numbers they rest on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "fed/partition.hpp"
#include "fed/rng.hpp"
#include "fed/sampling.hpp"
#include "test_support.hpp"

using namespace orrery::fed;

namespace {

std::vector<int> labels(std::size_t n, int classes) {
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<int>(i % static_cast<std::size_t>(classes));
  return y;
}

// Every row exactly once, every client non-empty.
void expect_cover(const Partition& p, std::size_t rows) {
  std::vector<int> seen(rows, 0);
  for (std::size_t k = 0; k < p.clients(); ++k) {
    EXPECT_GE(p.size(k), 1u) << "client " << k;
    for (auto r : p.of(k)) ++seen[r];
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
}

// Mean over clients of the share of the client's rows in its most common class.
double mean_top_class_share(const Partition& p, const std::vector<int>& y, int classes) {
  double s = 0;
  for (std::size_t k = 0; k < p.clients(); ++k) {
    std::vector<int> count(static_cast<std::size_t>(classes), 0);
    for (auto r : p.of(k)) ++count[static_cast<std::size_t>(y[r])];
    s += *std::max_element(count.begin(), count.end()) / static_cast<double>(p.size(k));
  }
  return s / static_cast<double>(p.clients());
}

}  // namespace

TEST(FedRng, StreamsAreReproducibleAndDistinct) {
  Rng a(7, Stream::train, 3, 4), b(7, Stream::train, 3, 4), c(7, Stream::train, 4, 3), d(7, Stream::sample, 3, 4);
  const auto x = a.next();
  EXPECT_EQ(x, b.next());
  EXPECT_NE(x, c.next());
  EXPECT_NE(x, d.next());
}

TEST(FedRng, DistributionsHaveTheirMoments) {
  Rng rng(11);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, se = 0, sg = 0, sg_small = 0;
  std::vector<int> buckets(5, 0);
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_TRUE(u >= 0 && u < 1);
    su += u;
    const double z = rng.normal();
    sn += z;
    sn2 += z * z;
    se += rng.exponential(2.0);
    sg += rng.gamma(3.0);
    sg_small += rng.gamma(0.3);
    ++buckets[rng.below(5)];
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  EXPECT_NEAR(se / n, 2.0, 0.03);
  EXPECT_NEAR(sg / n, 3.0, 0.03);        // Gamma(k, 1) has mean k
  EXPECT_NEAR(sg_small / n, 0.3, 0.01);
  for (int b : buckets) EXPECT_NEAR(b, n / 5, n / 100);
}

TEST(FedPartition, IidIsBalancedAndSeeded) {
  const auto y = labels(1000, 10);
  const Partition p = make_partition(PartitionKind::iid, y, 10, 7, 0, 3);
  expect_cover(p, 1000);
  for (std::size_t k = 0; k < 7; ++k) EXPECT_TRUE(p.size(k) == 142 || p.size(k) == 143);
  EXPECT_EQ(p.rows, make_partition(PartitionKind::iid, y, 10, 7, 0, 3).rows);
  EXPECT_NE(p.rows, make_partition(PartitionKind::iid, y, 10, 7, 0, 4).rows);
  EXPECT_LT(mean_top_class_share(p, y, 10), 0.25);   // ~0.1 classes-wide mix
}

TEST(FedPartition, DirichletSkewGrowsAsAlphaShrinks) {
  const auto y = labels(2000, 10);
  const Partition skewed = make_partition(PartitionKind::dirichlet, y, 10, 20, 0.1, 1);
  const Partition mild = make_partition(PartitionKind::dirichlet, y, 10, 20, 100, 1);
  expect_cover(skewed, 2000);
  expect_cover(mild, 2000);
  const double s = mean_top_class_share(skewed, y, 10), m = mean_top_class_share(mild, y, 10);
  EXPECT_GT(s, 0.6) << "alpha 0.1 should leave clients with mostly one class";
  EXPECT_LT(m, 0.25) << "alpha 100 should be close to iid";
}

TEST(FedPartition, QuantitySkewVariesSizesNotLabels) {
  const auto y = labels(2000, 10);
  const Partition q = make_partition(PartitionKind::quantity, y, 10, 20, 0.3, 2);
  expect_cover(q, 2000);
  std::size_t lo = 2000, hi = 0;
  for (std::size_t k = 0; k < q.clients(); ++k) lo = std::min(lo, q.size(k)), hi = std::max(hi, q.size(k));
  EXPECT_GT(hi, 5 * lo) << "sizes should be skewed";
  const Partition even = make_partition(PartitionKind::quantity, y, 10, 20, 1000, 2);
  for (std::size_t k = 0; k < even.clients(); ++k) EXPECT_NEAR(static_cast<double>(even.size(k)), 100.0, 20.0);
}

TEST(FedPartition, TenThousandClientsEachGetARow) {
  const auto y = labels(12000, 10);
  for (auto kind : {PartitionKind::iid, PartitionKind::dirichlet, PartitionKind::quantity})
    expect_cover(make_partition(kind, y, 10, 10000, 0.5, 9), 12000);
}

TEST(FedPartition, BadInputsAreRefusedWithReasons) {
  const auto y = labels(50, 5);
  try {
    make_partition(PartitionKind::iid, y, 5, 51, 1, 1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_CONTAINS(e.what(), "clients (51) is more than the training samples (50)");
  }
  EXPECT_THROW(make_partition(PartitionKind::dirichlet, y, 5, 5, 0, 1), std::invalid_argument);
  EXPECT_THROW(make_partition(PartitionKind::quantity, y, 5, 5, -1, 1), std::invalid_argument);
  EXPECT_THROW(make_partition(PartitionKind::iid, y, 5, 0, 1, 1), std::invalid_argument);
  EXPECT_NO_THROW(make_partition(PartitionKind::iid, y, 5, 50, 0, 1));   // alpha unused by iid
}

TEST(FedSampling, SamplesAreDistinctSortedAndSeededByRound) {
  const auto a = sample_clients(1000, 50, 1, 3), b = sample_clients(1000, 50, 1, 3), c = sample_clients(1000, 50, 1, 4);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), 50u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<std::size_t>(a.begin(), a.end()).size(), 50u);
  EXPECT_EQ(sample_clients(5, 9, 1, 1), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  // Over many rounds every client is drawn about equally often.
  std::vector<int> count(100, 0);
  for (int r = 0; r < 2000; ++r)
    for (auto id : sample_clients(100, 10, 7, r)) ++count[id];
  for (int n : count) EXPECT_NEAR(n, 200, 60);
}

TEST(FedSampling, RankBlocksAreContiguousAndCoverEveryClient) {
  for (int ranks : {1, 2, 3, 4, 7}) {
    for (std::size_t clients : {1u, 5u, 10u, 10000u}) {
      const RankBlocks b{clients, ranks};
      EXPECT_EQ(b.first(0), 0u);
      EXPECT_EQ(b.first(ranks), clients);
      for (std::size_t k = 0; k < clients; ++k) {
        const int r = b.owner(k);
        ASSERT_TRUE(b.first(r) <= k && k < b.first(r + 1)) << clients << " clients, " << ranks << " ranks, client " << k;
      }
    }
  }
}
