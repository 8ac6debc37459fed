// DistServe's figure of merit for a placement: the highest arrival rate at which a cluster
// still serves a target share of the requests (90 % in DistServe) within both SLOs, per GPU.
// Found by bisection over the workload generator's rate (the same seed at every rate): first
// doubling or halving from the workload's own rate to bracket the target, then halving the
// bracket until it is within a relative precision.
#pragma once

#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"
#include "sim/cluster_sim.hpp"

namespace orrery::sim {

struct RateSearchResult {
  double max_rate = 0;          // requests/s: the highest rate found to attain the target (0: none)
  double max_rate_per_gpu = 0;  // max_rate / the cluster's GPUs
  double attainment = 0;        // at max_rate
  double failing_rate = 0;      // the bracket's other end: a rate found to miss the target
  double failing_attainment = 0;
  int simulations = 0;
};

// Throws std::invalid_argument for a trace workload (its arrivals are fixed), a target outside
// (0, 1] or a precision outside (0, 1); and simulate's refusals.
RateSearchResult max_rate_at_attainment(const ClusterOptions& cluster, const serve::WorkloadOptions& workload, const serve::Slo& slo,
                                        double target = 0.9, double precision = 0.01);

}  // namespace orrery::sim
