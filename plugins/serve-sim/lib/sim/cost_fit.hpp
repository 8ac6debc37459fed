// Calibration: the cost model's compute coefficients fitted to iterations a real server
// measured (gpt-serve's prefill and decode spans with each iteration's batch composition). A
// prefill iteration's time is fitted as prefill_fixed + per_token x prompt tokens +
// per_attention_pair x causal attention pairs (quadratic in each prompt's length); a decode
// step's as decode_fixed + per_seq x batch + per_context_token x KV positions attended.
// Coefficients are kept non-negative (a regressor whose coefficient comes out negative, or
// that does not vary, is dropped and the rest refitted), as the simulator requires.
//
// The fit is of the typical iteration (least absolute deviations: the conditional median),
// because a loaded machine preempts some iterations and one preempted for 5 ms would drag a
// least-squares line where no iteration is. That scatter is kept as the model's jitter:
// kJitterQuantiles quantiles of measured / fitted time for each kind, which the simulator
// draws from, so it reproduces the spread of the latencies (their p90) and not only their
// medians. The same ratios are also kept in time order, one sequence per rank and run (the
// samples' `series`), because a real slowdown lasts many iterations: the simulator replays
// stretches of them (jitter_process.hpp), so a request whose steps all fell in a slow stretch
// is slow in the simulation too.
#pragma once

#include <cstddef>
#include <vector>

#include "sim/cost_model.hpp"

namespace orrery::sim {

// `series`: which rank of which run measured the iteration; the samples of one series are in
// the order the rank ran them.
struct PrefillSample {
  double prompt_tokens = 0, seconds = 0;
  double attention_pairs = 0;  // sum of n (n + 1) / 2 over the batch's prompts
  int series = 0;
};
struct DecodeSample {
  double batch = 0, context_tokens = 0, seconds = 0;
  int series = 0;
};

struct CostFit {
  CostModel model;               // the base model with the five compute coefficients fitted
  std::size_t prefill_samples = 0, decode_samples = 0;
  double prefill_rms_s = 0, decode_rms_s = 0;  // root mean square residual of each fit
  double prefill_mean_s = 0, decode_mean_s = 0;
};

// Fewest samples of each kind a fit accepts.
inline constexpr std::size_t kMinFitSamples = 8;
// Quantiles of the measured / fitted ratio kept as jitter (fewer when there are fewer samples).
inline constexpr std::size_t kJitterQuantiles = 32;
// Mean length, in iterations, of a replayed stretch of a measured sequence. The measured
// autocorrelation of log(measured / fitted) is 0.15-0.45 at lag 1 and still 0.05-0.15 at 10-20
// steps (bench/serve_sim/jitter_structure.py), so a stretch outlasts a request's 6-30 steps.
inline constexpr double kJitterBlockSteps = 64;

// Quantiles (k + 0.5) / n of values, n = kJitterQuantiles or fewer when there are fewer values;
// empty for none. The spread a model keeps of what it measured.
std::vector<double> spread_quantiles(std::vector<double> values);

// A KV transfer a real server measured: the bytes of KV it moved and its time.
struct KvTransferSample {
  double bytes = 0, seconds = 0;
};

// A transfer's cost, fixed_s + bytes / bytes_per_s, the typical transfer (least absolute
// deviations, as the iterations: a transfer whose receiver was preempted does not drag it).
struct KvTransferFit {
  double fixed_s = 0, bytes_per_s = 0;
  std::size_t samples = 0;
  double rms_s = 0, mean_s = 0;
};

// Throws std::invalid_argument when there are fewer than kMinFitSamples transfers, a sample is
// negative or not finite, or the transfers' sizes do not vary enough to separate a bandwidth
// from the fixed cost (every transfer of one size) or their times do not grow with size.
KvTransferFit fit_kv_transfer(const std::vector<KvTransferSample>& transfers);

// Throws std::invalid_argument when either kind has fewer than kMinFitSamples samples, or a
// sample is not finite or negative.
CostFit fit_cost_model(const std::vector<PrefillSample>& prefill, const std::vector<DecodeSample>& decode, const CostModel& base);

}  // namespace orrery::sim
