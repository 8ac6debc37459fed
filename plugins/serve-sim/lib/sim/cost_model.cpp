#include "sim/cost_model.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace orrery::sim {

namespace {

double compute_scale(const CostModel& m, const InstanceShape& s) { return s.tp > 1 ? 1.0 / (s.tp * m.tp_efficiency) : 1.0; }
double pipeline_hops(const CostModel& m, const InstanceShape& s) { return (s.pp - 1) * m.pp_hop_s; }

}  // namespace

void validate(const CostModel& m, const InstanceShape& s) {
  const std::pair<const char*, double> non_negative[] = {
      {"prefill_fixed_ms", m.prefill_fixed_s},   {"prefill_ms_per_token", m.prefill_s_per_token},
      {"prefill_ns_per_attention_pair", m.prefill_s_per_attention_pair},
      {"decode_fixed_ms", m.decode_fixed_s},     {"decode_ms_per_seq", m.decode_s_per_seq},
      {"decode_us_per_context_token", m.decode_s_per_context_token}, {"pp_hop_ms", m.pp_hop_s},
      {"kv_transfer_fixed_ms", m.kv_transfer_fixed_s}};
  for (const auto& [name, v] : non_negative)
    if (!(v >= 0) || !std::isfinite(v)) throw std::invalid_argument(std::string("--") + name + ": must not be negative");
  const std::pair<const char*, double> positive[] = {{"kv_bytes_per_token", m.kv_bytes_per_token},
                                                     {"kv_gib_per_gpu", m.kv_capacity_bytes_per_gpu},
                                                     {"kv_gbps", m.kv_bandwidth_bytes_per_s}};
  for (const auto& [name, v] : positive)
    if (!(v > 0) || !std::isfinite(v)) throw std::invalid_argument(std::string("--") + name + ": must be greater than 0");
  if (!(m.tp_efficiency > 0 && m.tp_efficiency <= 1)) throw std::invalid_argument("--tp_efficiency: must be in (0, 1]");
  if (s.tp < 1 || s.pp < 1) throw std::invalid_argument("--tp/--pp: must be at least 1");
  for (const auto* jitter : {&m.prefill_jitter, &m.decode_jitter})
    for (const double f : *jitter)
      if (!(f > 0) || !std::isfinite(f)) throw std::invalid_argument("calibration: a jitter factor is not a positive number");
  for (const double d : m.wake_delay_s)
    if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("calibration: a wake delay is negative or not a number");
  for (const auto* runs : {&m.prefill_jitter_runs, &m.decode_jitter_runs})
    for (const auto& run : *runs) {
      if (run.empty()) throw std::invalid_argument("calibration: an empty jitter sequence");
      for (const double f : run)
        if (!(f > 0) || !std::isfinite(f)) throw std::invalid_argument("calibration: a jitter factor is not a positive number");
    }
  if ((!m.prefill_jitter_runs.empty() || !m.decode_jitter_runs.empty()) && !(m.jitter_block_steps >= 1 && std::isfinite(m.jitter_block_steps)))
    throw std::invalid_argument("calibration: jitter_block_steps must be at least 1");
}

double prefill_time(const CostModel& m, const InstanceShape& s, long prompt_tokens, double attention_pairs) {
  return (m.prefill_fixed_s + m.prefill_s_per_token * static_cast<double>(prompt_tokens) + m.prefill_s_per_attention_pair * attention_pairs) *
             compute_scale(m, s) +
         pipeline_hops(m, s);
}

double decode_step_time(const CostModel& m, const InstanceShape& s, int batch, long context_tokens) {
  return (m.decode_fixed_s + m.decode_s_per_seq * batch + m.decode_s_per_context_token * static_cast<double>(context_tokens)) *
             compute_scale(m, s) +
         pipeline_hops(m, s);
}

double kv_transfer_time(const CostModel& m, long tokens) {
  return m.kv_transfer_fixed_s + m.kv_bytes_per_token * static_cast<double>(tokens) / m.kv_bandwidth_bytes_per_s;
}

long kv_capacity_tokens(const CostModel& m, const InstanceShape& s) {
  return static_cast<long>(std::floor(m.kv_capacity_bytes_per_gpu * s.gpus() / m.kv_bytes_per_token));
}

}  // namespace orrery::sim
