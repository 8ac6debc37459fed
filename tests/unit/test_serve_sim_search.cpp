// serve-sim's placement search: every placement and split is tried, the best per GPU is the
// maximum of what was tried, a light load is served best by one colocated GPU (disaggregated
// needs two for the same goodput: ratio 1/2), and prefill-heavy requests under a tight TPOT
// SLO favour disaggregation (prefills no longer stall the decode batch), as in DistServe.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "serve/workload.hpp"
#include "sim/placement_search.hpp"

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

}  // namespace
}  // namespace orrery::sim
