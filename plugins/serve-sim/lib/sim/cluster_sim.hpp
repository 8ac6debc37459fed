// A discrete-event simulation of an LLM serving cluster: instances of one shape, each with
// continuous batching under a batch limit and a KV cache of the shape's capacity, placed
// colocated (every instance prefills and decodes; a waiting prefill runs before the next
// decode step, as in vLLM, so prefills stall the running batch) or disaggregated as in
// DistServe (prefill instances, then the KV cache moves to a decode instance over a link of
// the cost model's bandwidth). Requests are gpt-serve's workload entries, so the simulator
// and the real server see the same arrivals and lengths for the same options.
//
// Model, stated: an instance reserves a request's whole KV (prompt + output) when it admits
// it, so nothing is preempted; a request in transfer holds its KV on the prefill instance
// until the transfer ends and then waits in the decode instance's queue; transfers do not
// share links. Arrivals go to the instance with the fewest requests (waiting, in flight,
// running), the lowest index among equals; prefilled requests go the same way to the decode
// instances.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"
#include "sim/cost_model.hpp"

namespace orrery::sim {

struct ClusterOptions {
  int instances = 1;
  InstanceShape shape;
  std::string placement = "colocated";  // colocated | disaggregated
  int prefill_instances = 1;            // disaggregated: instances 0 .. prefill_instances-1
  int batch_limit = 8;                  // sequences in an instance's running batch (prefilling included)
  CostModel cost;
  int gpus() const { return instances * shape.gpus(); }
};

// Throws std::invalid_argument naming the option (see cost_model.hpp's validate too).
void validate(const ClusterOptions& options);

// What the run itself observed, for the conservation checks and the benchmark.
struct SimStats {
  std::uint64_t events = 0;
  int max_batch = 0;            // largest batch any instance ran
  long max_kv_tokens = 0;       // most KV tokens any instance held
  long kv_capacity_tokens = 0;  // per instance
  long output_tokens = 0;
};

struct SimResult {
  std::vector<serve::RequestTiming> timings;  // by request (index = position in the input)
  std::vector<int> finishes;                  // times each request finished (1 in a correct run)
  SimStats stats;
};

// Throws std::invalid_argument when a request's KV (prompt + output tokens) exceeds an
// instance's capacity: it could never be admitted.
SimResult simulate(const ClusterOptions& options, std::span<const serve::TraceEntry> requests);

}  // namespace orrery::sim
