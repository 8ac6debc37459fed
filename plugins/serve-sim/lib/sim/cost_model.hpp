// What a serving instance costs: a model's per-token prefill cost, its decode step as a
// function of the batch and the context it attends over, its KV bytes per token, the KV
// transfer bandwidth between a prefill and a decode instance, and the instance's shape
// (GPUs as tensor x pipeline parallel degrees, as EnergonAI shapes its instances).
//
// Times are for one GPU (tp = pp = 1). Tensor parallelism divides the compute over tp GPUs
// at tp_efficiency (the all-reduces' share); pipeline parallelism does not shorten one
// iteration (its stages run one after the other for a batch) and adds a hop per stage
// boundary, but the instance holds pp times the KV cache. Pipelining several batches at once
// is not modelled.
#pragma once

#include <vector>

namespace orrery::sim {

struct InstanceShape {
  int tp = 1, pp = 1;
  int gpus() const { return tp * pp; }
};

struct CostModel {
  double prefill_fixed_s = 0.0;            // per prefill iteration (kernel launches, scheduling)
  double prefill_s_per_token = 1e-4;       // per prompt token in the batch
  // Per (query, key) pair of the prefill's causal attention, n (n + 1) / 2 for a prompt of n
  // tokens: the quadratic part of a prefill, as DistServe models it.
  double prefill_s_per_attention_pair = 0;
  double decode_fixed_s = 0.01;            // per decode step (weights read once per step)
  double decode_s_per_seq = 1e-4;          // per sequence in the running batch
  double decode_s_per_context_token = 0;   // per token of KV the step attends over (all sequences)
  double kv_bytes_per_token = 1e5;
  double kv_capacity_bytes_per_gpu = 1e10;
  double kv_bandwidth_bytes_per_s = 1e10;  // prefill -> decode instance
  // Per KV transfer, whatever its size (the handshake of a rendezvous send, the receiver's
  // probe): a calibration fits it with the bandwidth from gpt-serve's transfers; 0 by default.
  double kv_transfer_fixed_s = 0;
  double tp_efficiency = 0.9;              // tp > 1: speed-up tp * tp_efficiency
  double pp_hop_s = 0;                     // per stage boundary per iteration
  // A calibrated model's iteration-time noise: quantiles of measured / fitted time of a real
  // run's prefill iterations and decode steps (a loaded machine preempts some of them); each
  // simulated iteration's time is multiplied by one drawn at random. Empty: none.
  std::vector<double> prefill_jitter, decode_jitter;
  // The same noise in time order: measured / fitted time of consecutive iterations of each
  // rank of the calibration runs (one sequence per rank and run). A real slowdown lasts many
  // iterations (another process holds the core), so a request's TPOT, a mean over its decode
  // steps, keeps it; drawn independently it averages away. When present, each instance
  // replays stretches of one sequence instead (see jitter_process.hpp), of mean length
  // jitter_block_steps iterations. Empty: the quantiles above, drawn independently.
  std::vector<std::vector<double>> prefill_jitter_runs, decode_jitter_runs;
  double jitter_block_steps = 0;
  // A calibrated model's wake-up delay: quantiles of how late a real idle rank got to a request
  // that arrived while it slept (gpt-serve's wake_delay_s). A request arriving at an idle
  // instance starts it after one drawn at random. Empty: at once.
  std::vector<double> wake_delay_s;
};

// Throws std::invalid_argument naming the field (negative costs, zero KV size or bandwidth,
// tp_efficiency outside (0, 1], a shape below 1, a jitter factor not positive).
void validate(const CostModel& model, const InstanceShape& shape);

// A prefill batch of prompt_tokens tokens in all and attention_pairs causal attention pairs
// (the sum of n (n + 1) / 2 over its prompts).
double prefill_time(const CostModel& m, const InstanceShape& s, long prompt_tokens, double attention_pairs);
// Causal attention pairs of a prompt of n tokens.
inline double attention_pairs(long n) { return 0.5 * static_cast<double>(n) * static_cast<double>(n + 1); }
double decode_step_time(const CostModel& m, const InstanceShape& s, int batch, long context_tokens);
// kv_transfer_fixed_s + tokens x kv_bytes_per_token / bandwidth.
double kv_transfer_time(const CostModel& m, long tokens);
// Tokens of KV one instance of this shape holds.
long kv_capacity_tokens(const CostModel& m, const InstanceShape& s);

}  // namespace orrery::sim
