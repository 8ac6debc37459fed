// Costs that make serve-sim's timelines computable by hand, shared by its unit tests: prefill
// 0.1 s per prompt token, a decode step 10 ms whatever the batch, KV 1000 bytes per token
// (1,000 tokens per GPU) over 100 kB/s (10 ms per prompt token).
#pragma once

#include "sim/cost_model.hpp"

namespace orrery::sim {

inline CostModel hand_costs() {
  CostModel m;
  m.prefill_fixed_s = 0;
  m.prefill_s_per_token = 0.1;
  m.decode_fixed_s = 0.01;
  m.decode_s_per_seq = 0;
  m.decode_s_per_context_token = 0;
  m.kv_bytes_per_token = 1000;
  m.kv_capacity_bytes_per_gpu = 1e6;
  m.kv_bandwidth_bytes_per_s = 1e5;
  return m;
}

}  // namespace orrery::sim
