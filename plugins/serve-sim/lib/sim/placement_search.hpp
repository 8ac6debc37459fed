// DistServe's question for a cost model, a workload and SLOs: which placement, prefill/decode
// split and batch limit give the most goodput per GPU? Every colocated cluster of 1 ..
// max_instances instances and every disaggregated split p + d <= max_instances is simulated
// at each batch limit; goodput per GPU is the requests per second that met both SLOs over the
// run's span, divided by the cluster's GPUs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"
#include "sim/cluster_sim.hpp"

namespace orrery::sim {

struct SearchSpace {
  int max_instances = 4;
  std::vector<int> batch_limits{8};
  InstanceShape shape;
  CostModel cost;
};

struct Candidate {
  ClusterOptions cluster;
  serve::ServeSummary summary;
  double goodput_per_gpu = 0;
};

struct SearchResult {
  std::vector<Candidate> tried;
  Candidate best_colocated, best_disaggregated;
  // best disaggregated goodput per GPU / best colocated (0 when colocated met no SLO)
  double disaggregated_over_colocated = 0;
};

// Throws std::invalid_argument for max_instances < 2 (no disaggregated split) or no batch limit.
SearchResult search_placements(const SearchSpace& space, std::span<const serve::TraceEntry> requests, const serve::Slo& slo);

std::string describe(const ClusterOptions& c);  // "disaggregated 2P+3D, batch 16" / "colocated 4, batch 8"

}  // namespace orrery::sim
