// serve-sim's placement search: every placement and split is tried, the best per GPU is the
// maximum of what was tried, a light load is served best by one colocated GPU (disaggregated
// needs two for the same goodput: ratio 1/2), and prefill-heavy requests under a tight TPOT
// SLO favour disaggregation (prefills no longer stall the decode batch), as in DistServe.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "serve/workload.hpp"
#include "sim/placement_search.hpp"
#include "sim/rate_search.hpp"

namespace orrery::sim {
namespace {

TEST(ServeSimSearch, LightLoadIsServedBestByOneColocatedInstance) {
  serve::WorkloadOptions w;
  w.rate = 5;
  w.duration_s = 4;
  const auto requests = serve::workload_entries(w);
  SearchSpace space;
  space.max_instances = 3;
  space.batch_limits = {2, 8};
  const auto r = search_placements(space, requests, serve::Slo{1.0, 0.1});
  ASSERT_EQ(r.tried.size(), 2u * (3 + 3));  // per batch limit: colocated 1..3, splits 1+1, 1+2, 2+1
  EXPECT_EQ(r.best_colocated.cluster.instances, 1);
  EXPECT_EQ(r.best_colocated.summary.slo_attainment, 1.0);
  EXPECT_EQ(r.best_disaggregated.cluster.instances, 2);
  EXPECT_NEAR(r.disaggregated_over_colocated, 0.5, 0.02);
  double best = 0;
  for (const auto& k : r.tried) best = std::max(best, k.goodput_per_gpu);
  EXPECT_EQ(best, std::max(r.best_colocated.goodput_per_gpu, r.best_disaggregated.goodput_per_gpu));
  EXPECT_EQ(describe(r.best_disaggregated.cluster).rfind("disaggregated 1P+1D, batch ", 0), 0u);
}

TEST(ServeSimSearch, PrefillHeavyTightTpotFavoursDisaggregation) {
  serve::WorkloadOptions w;
  w.rate = 10;
  w.duration_s = 4;
  w.prompt = {200, 400};
  w.output = {20, 40};
  const auto requests = serve::workload_entries(w);
  SearchSpace space;
  space.max_instances = 6;
  space.batch_limits = {16};
  space.cost.prefill_s_per_token = 1e-3;  // 0.2 .. 0.4 s a prefill: each stalls a colocated batch that long
  space.cost.decode_fixed_s = 0.01;
  const auto r = search_placements(space, requests, serve::Slo{2.0, 0.03});
  EXPECT_GT(r.disaggregated_over_colocated, 1.2) << describe(r.best_colocated.cluster) << " vs " << describe(r.best_disaggregated.cluster);
  EXPECT_GT(r.best_disaggregated.summary.slo_attainment, r.best_colocated.summary.slo_attainment);
}

TEST(ServeSimSearch, RefusesSpacesWithoutASplit) {
  const std::vector<serve::TraceEntry> one = {{0.0, 4, 4}};
  SearchSpace space;
  space.max_instances = 1;
  EXPECT_THROW(search_placements(space, one, serve::Slo{}), std::invalid_argument);
  space.max_instances = 2;
  space.batch_limits.clear();
  EXPECT_THROW(search_placements(space, one, serve::Slo{}), std::invalid_argument);
  space.batch_limits = {4};
  EXPECT_THROW(search_placements(space, one, serve::Slo{0.0, 0.1}), std::invalid_argument);
}

// A prefill of 10 ms (10 tokens at 1 ms) and one decode step of 1 ms per request, a 30 ms
// TTFT SLO: the bisection's answer attains 90 % and its bracket's other end, within 1 %,
// does not (each checked by simulating again), below the 1 / 11 ms capacity of an instance.
TEST(ServeSimRateSearch, BracketsTheRateWhereAttainmentFallsBelowTheTarget) {
  ClusterOptions c;
  c.instances = 1;
  c.batch_limit = 4;
  c.cost.prefill_fixed_s = 0;
  c.cost.prefill_s_per_token = 1e-3;
  c.cost.decode_fixed_s = 1e-3;
  c.cost.decode_s_per_seq = 0;
  serve::WorkloadOptions w;
  w.rate = 10;
  w.duration_s = 20;
  w.prompt = {10, 10};
  w.output = {2, 2};
  const serve::Slo slo{0.03, 1.0};
  const auto one = max_rate_at_attainment(c, w, slo, 0.9, 0.01);
  auto attainment_at = [&](const ClusterOptions& cluster, double rate) {
    serve::WorkloadOptions at = w;
    at.rate = rate;
    return serve::summarize(simulate(cluster, serve::workload_entries(at)).timings, slo).slo_attainment;
  };
  EXPECT_GE(attainment_at(c, one.max_rate), 0.9);
  EXPECT_LT(attainment_at(c, one.failing_rate), 0.9);
  EXPECT_EQ(one.attainment, attainment_at(c, one.max_rate));
  EXPECT_LE(one.failing_rate - one.max_rate, 0.01 * one.max_rate);
  EXPECT_GT(one.max_rate, 10.0);
  EXPECT_LT(one.max_rate, 1 / 0.011);
  EXPECT_EQ(one.max_rate_per_gpu, one.max_rate);
  // Two instances serve at least 1.5 times the rate, reported per GPU as half of it.
  c.instances = 2;
  const auto two = max_rate_at_attainment(c, w, slo, 0.9, 0.01);
  EXPECT_GE(two.max_rate, 1.5 * one.max_rate);
  EXPECT_EQ(two.max_rate_per_gpu, two.max_rate / 2);
  // A rate the workload starts above the answer from is found by halving: the same bracket.
  w.rate = 4 * one.max_rate;
  c.instances = 1;
  const auto from_above = max_rate_at_attainment(c, w, slo, 0.9, 0.01);
  EXPECT_GE(attainment_at(c, from_above.max_rate), 0.9);
  EXPECT_LT(attainment_at(c, from_above.failing_rate), 0.9);
  EXPECT_NEAR(from_above.max_rate, one.max_rate, 0.1 * one.max_rate);
}

TEST(ServeSimRateSearch, RefusesWhatHasNoRateToSearch) {
  ClusterOptions c;
  serve::WorkloadOptions w;
  w.trace = "requests.jsonl";
  EXPECT_THROW(max_rate_at_attainment(c, w, serve::Slo{}), std::invalid_argument);
  w.trace.clear();
  EXPECT_THROW(max_rate_at_attainment(c, w, serve::Slo{}, 0.0), std::invalid_argument);
  EXPECT_THROW(max_rate_at_attainment(c, w, serve::Slo{}, 1.5), std::invalid_argument);
}

}  // namespace
}  // namespace orrery::sim
