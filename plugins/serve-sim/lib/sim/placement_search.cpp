#include "sim/placement_search.hpp"

#include <stdexcept>

namespace orrery::sim {

namespace {

// Better: more goodput per GPU; among equals, higher attainment, then fewer GPUs (then the
// one tried first, so the answer does not depend on anything but the inputs).
bool better(const Candidate& a, const Candidate& b) {
  if (a.goodput_per_gpu != b.goodput_per_gpu) return a.goodput_per_gpu > b.goodput_per_gpu;
  if (a.summary.slo_attainment != b.summary.slo_attainment) return a.summary.slo_attainment > b.summary.slo_attainment;
  return a.cluster.gpus() < b.cluster.gpus();
}

}  // namespace

std::string describe(const ClusterOptions& c) {
  const std::string batch = ", batch " + std::to_string(c.batch_limit);
  if (c.placement == "disaggregated")
    return "disaggregated " + std::to_string(c.prefill_instances) + "P+" + std::to_string(c.instances - c.prefill_instances) + "D" + batch;
  return "colocated " + std::to_string(c.instances) + batch;
}

SearchResult search_placements(const SearchSpace& space, std::span<const serve::TraceEntry> requests, const serve::Slo& slo) {
  serve::validate(slo);
  if (space.max_instances < 2) throw std::invalid_argument("--max_instances: at least 2 (a prefill and a decode instance)");
  if (space.batch_limits.empty()) throw std::invalid_argument("--batch_limits: at least one");
  SearchResult out;
  bool have_colocated = false, have_disaggregated = false;
  auto consider = [&](const ClusterOptions& c) {
    Candidate k;
    k.cluster = c;
    const SimResult r = simulate(c, requests);
    k.summary = serve::summarize(r.timings, slo);
    k.goodput_per_gpu = k.summary.goodput_rps / c.gpus();
    if (c.placement == "colocated") {
      if (!have_colocated || better(k, out.best_colocated)) out.best_colocated = k;
      have_colocated = true;
    } else {
      if (!have_disaggregated || better(k, out.best_disaggregated)) out.best_disaggregated = k;
      have_disaggregated = true;
    }
    out.tried.push_back(std::move(k));
  };
  for (const int batch : space.batch_limits) {
    ClusterOptions c;
    c.shape = space.shape;
    c.cost = space.cost;
    c.batch_limit = batch;
    for (int n = 1; n <= space.max_instances; ++n) {
      c.placement = "colocated";
      c.instances = n;
      consider(c);
      c.placement = "disaggregated";
      for (int p = 1; p < n; ++p) {
        c.prefill_instances = p;
        consider(c);
      }
    }
  }
  if (out.best_colocated.goodput_per_gpu > 0)
    out.disaggregated_over_colocated = out.best_disaggregated.goodput_per_gpu / out.best_colocated.goodput_per_gpu;
  return out;
}

}  // namespace orrery::sim
