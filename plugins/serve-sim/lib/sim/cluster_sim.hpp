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
// share links unless link_sharing is on (link_sharing.hpp). A request larger than an instance
// is refused unless kv_spanning is on (kv_spanning.hpp: Infinite-LLM's borrowed KV).
// Arrivals go to the instance with the fewest requests (waiting, in flight,
// running), the lowest index among equals, or round robin (see ClusterOptions::dispatch);
// prefilled requests go the same way to the decode instances.
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
  // Which instance an arrival (and, disaggregated, a prefilled request) goes to: the least
  // loaded, or round_robin: request index mod the instances of that role, as gpt-serve's
  // ranks share the workload (request id mod ranks).
  std::string dispatch = "least_loaded";  // least_loaded | round_robin
  // What an instance runs when both prefills wait and a batch decodes: prefill_or_decode
  // (a prefill iteration, then a decode step when no prefill waits, as vLLM) or
  // prefill_then_decode (each iteration prefills what it admits, then runs one decode step
  // of the whole batch, the new sequences included: gpt-serve's engine loop).
  std::string iteration = "prefill_or_decode";  // prefill_or_decode | prefill_then_decode
  CostModel cost;
  std::uint64_t jitter_seed = 1;  // draws of the cost model's jitter (when it has one)
  // Infinite-LLM: a request larger than an instance borrows KV on the other instances of its
  // role, its decode steps attend there (a hop each way per creditor per step) and the
  // creditors' steps attend over what they lend (kv_spanning.hpp).
  bool kv_spanning = false;
  double kv_span_hop_s = 1e-4;  // query to a creditor and its partial result back, per step
  // While a long request waits for KV to borrow, the other instances of its role admit nothing
  // new (a reservation, so a stream of short requests cannot starve it).
  bool kv_span_drain = false;
  // Disaggregated: KV transfers leaving or arriving at an instance share its link (link_sharing.hpp).
  bool link_sharing = false;
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
  // KV spanning: requests that borrowed KV (an admission each), the tokens they borrowed in
  // all, the most lent at once, and what was still lent when the run ended (0: all returned).
  int spanning_requests = 0;
  long kv_borrowed_tokens = 0;
  long max_kv_lent_tokens = 0;
  long kv_lent_at_end = 0;
  std::vector<long> instance_max_kv_tokens;  // by instance: the most KV it held (its own and lent)
  std::vector<long> instance_kv_at_end;      // by instance: KV still held when the run ended (0)
  // Link sharing: bytes that started and finished moving (equal at the end of a run).
  double link_bytes_started = 0, link_bytes_delivered = 0;
  // Disaggregated: each KV transfer's time, prefill's end to the KV on its decode instance,
  // in the order they ended.
  std::vector<double> kv_transfer_s;
};

struct SimResult {
  std::vector<serve::RequestTiming> timings;  // by request (index = position in the input)
  std::vector<int> finishes;                  // times each request finished (1 in a correct run)
  SimStats stats;
};

// Throws std::invalid_argument when a request's KV (prompt + output tokens) exceeds an
// instance's capacity (with kv_spanning: the capacity of all instances of its role together):
// it could never be admitted.
SimResult simulate(const ClusterOptions& options, std::span<const serve::TraceEntry> requests);

}  // namespace orrery::sim
