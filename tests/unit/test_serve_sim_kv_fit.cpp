// serve-sim's KV transfer calibration: fit_kv_transfer recovers a fixed cost and a bandwidth
// from transfers' sizes and times exactly, keeps the typical transfer when one was delayed
// (median, not mean), refuses too few transfers or sizes that cannot separate the two; and the
// simulator charges a disaggregated transfer the fixed cost plus bytes / bandwidth, alone and
// on shared links, and reports each transfer's time.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "serve_sim_hand_costs.hpp"
#include "sim/cluster_sim.hpp"
#include "sim/cost_fit.hpp"

namespace orrery::sim {
namespace {

// 0.2 ms per transfer + bytes at 2 GB/s: 16 kB -> 0.208 ms, 64 kB -> 0.232 ms.
double true_transfer(double bytes) { return 2e-4 + bytes / 2e9; }

std::vector<KvTransferSample> transfers_of(const std::vector<double>& sizes) {
  std::vector<KvTransferSample> out;
  for (const double b : sizes) out.push_back({b, true_transfer(b)});
  return out;
}

std::string kv_fit_error(const std::vector<KvTransferSample>& t) {
  try {
    fit_kv_transfer(t);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(ServeSimKvFit, RecoversFixedCostAndBandwidthOfNoiselessTransfers) {
  const auto t = transfers_of({16e3, 32e3, 64e3, 16e3, 48e3, 8e3, 128e3, 24e3});
  const auto fit = fit_kv_transfer(t);
  EXPECT_NEAR(fit.fixed_s, 2e-4, 1e-9);
  EXPECT_NEAR(fit.bytes_per_s, 2e9, 2e9 * 1e-6);
  EXPECT_EQ(fit.samples, 8u);
  EXPECT_NEAR(fit.rms_s, 0, 1e-9);
}

TEST(ServeSimKvFit, OneDelayedTransferDoesNotMoveTheFit) {
  // Nine transfers, one (the receiver preempted) 5 ms late: a least-squares line would move
  // its fixed cost by ~0.5 ms; the median fit stays on the other eight.
  auto t = transfers_of({16e3, 32e3, 64e3, 16e3, 48e3, 8e3, 128e3, 24e3, 40e3});
  t[4].seconds += 5e-3;
  const auto fit = fit_kv_transfer(t);
  EXPECT_NEAR(fit.fixed_s, 2e-4, 2e-6);
  EXPECT_NEAR(fit.bytes_per_s, 2e9, 2e9 * 0.01);
  EXPECT_GT(fit.rms_s, 1e-3);  // the residuals keep the delayed one
}

TEST(ServeSimKvFit, RefusesTooFewTransfersOrSizesThatCannotSeparateTheTerms) {
  EXPECT_EQ(kv_fit_error({}), "too few KV transfers to fit: 0, at least 8");
  EXPECT_EQ(kv_fit_error(transfers_of({1e3, 2e3, 3e3, 4e3, 5e3, 6e3, 7e3})), "too few KV transfers to fit: 7, at least 8");
  // Every transfer of one size: no bandwidth to tell from the fixed cost.
  EXPECT_NE(kv_fit_error(transfers_of(std::vector<double>(8, 16e3))).find("do not grow with their size"), std::string::npos);
  // Times that fall with size.
  std::vector<KvTransferSample> falling;
  for (int k = 1; k <= 8; ++k) falling.push_back({k * 1e3, 1e-3 - k * 1e-5});
  EXPECT_NE(kv_fit_error(falling).find("do not grow with their size"), std::string::npos);
  auto bad = transfers_of({1e3, 2e3, 3e3, 4e3, 5e3, 6e3, 7e3, 8e3});
  bad[3].seconds = -1;
  EXPECT_EQ(kv_fit_error(bad), "a KV transfer sample is negative or not finite");
}

TEST(ServeSimKvFit, SimulatorChargesFixedCostPlusBytesOverBandwidth) {
  // Hand costs: 1000 B per token at 100 kB/s (10 ms per prompt token) + 5 ms per transfer:
  // a 3-token prompt's transfer 35 ms, a 1-token one 15 ms; one prefill and one decode
  // instance, the requests far apart (no queueing).
  ClusterOptions c;
  c.instances = 2;
  c.cost = hand_costs();
  c.cost.kv_transfer_fixed_s = 5e-3;
  c.placement = "disaggregated";
  c.prefill_instances = 1;
  const std::vector<serve::TraceEntry> two = {{0.0, 3, 2}, {10.0, 1, 2}};
  for (const bool shared : {false, true}) {
    c.link_sharing = shared;
    const auto r = simulate(c, two);
    ASSERT_EQ(r.stats.kv_transfer_s.size(), 2u) << shared;
    EXPECT_NEAR(r.stats.kv_transfer_s[0], 0.035, 1e-9) << shared;
    EXPECT_NEAR(r.stats.kv_transfer_s[1], 0.015, 1e-9) << shared;
    // Prefill 0.3 s, transfer to 0.335 s, two decode steps of 10 ms (the first token came from the prefill).
    EXPECT_NEAR(r.timings[0].finish_s, 0.335 + 0.01, 1e-9) << shared;
  }
  c.cost.kv_transfer_fixed_s = -1e-3;
  EXPECT_THROW(validate(c), std::invalid_argument);
}

}  // namespace
}  // namespace orrery::sim
