#include "sim/jitter_process.hpp"

namespace orrery::sim {

JitterProcess::JitterProcess(const std::vector<double>& quantiles, const std::vector<std::vector<double>>& runs, double block_steps)
    : quantiles_(&quantiles), runs_(&runs), jump_probability_(block_steps >= 1 ? 1.0 / block_steps : 1.0) {}

double JitterProcess::next(gpt::Rng& rng) {
  if (runs_->empty()) return quantiles_->empty() ? 1.0 : (*quantiles_)[static_cast<std::size_t>(rng.next() % quantiles_->size())];
  if (run_ == nullptr) {
    run_ = &(*runs_)[static_cast<std::size_t>(rng.next() % runs_->size())];
    at_ = static_cast<std::size_t>(rng.next() % run_->size());
  }
  const double factor = (*run_)[at_];
  // 53-bit uniform: a jump probability of 1/64 is drawn without the float's 24-bit steps.
  const double u = static_cast<double>(rng.next() >> 11) * (1.0 / 9007199254740992.0);
  if (++at_ == run_->size() || u < jump_probability_) at_ = static_cast<std::size_t>(rng.next() % run_->size());
  return factor;
}

}  // namespace orrery::sim
