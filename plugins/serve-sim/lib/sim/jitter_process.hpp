// The factor a simulated iteration's time is multiplied by, for one instance and one kind of
// iteration (prefill or decode), drawn from a calibrated model's measured noise.
//
// With the measured sequences (CostModel::*_jitter_runs): a stationary block bootstrap
// (Politis & Romano). The instance replays one sequence, chosen at random at its first draw,
// from a random position, one factor per iteration in the measured order; after each factor it
// jumps to a random position of the same sequence with probability 1 / block_steps (and at the
// sequence's end). A slow stretch of the real rank is then a slow stretch of the instance, the
// lag-k autocorrelation of the factors is the measured one damped by (1 - 1 / block_steps)^k,
// a rank slower over the whole run stays slower, and the factors' distribution is the measured
// one. Without sequences: the quantiles drawn independently (CostModel::*_jitter), or 1.
#pragma once

#include <cstddef>
#include <vector>

#include "gpt/rng.hpp"

namespace orrery::sim {

class JitterProcess {
 public:
  // The vectors are borrowed: they must outlive the process (they are the cost model's).
  JitterProcess(const std::vector<double>& quantiles, const std::vector<std::vector<double>>& runs, double block_steps);
  double next(gpt::Rng& rng);

 private:
  const std::vector<double>* quantiles_;
  const std::vector<std::vector<double>>* runs_;
  double jump_probability_ = 0;
  const std::vector<double>* run_ = nullptr;  // the sequence replayed, once drawn
  std::size_t at_ = 0;
};

}  // namespace orrery::sim
