// AdamW (decoupled weight decay, PyTorch's torch.optim.AdamW update), the learning-rate
// schedule (linear warm-up, then cosine decay to a floor) and global-norm gradient clipping.
#pragma once

#include <cstdint>
#include <vector>

#include "gpt/model.hpp"

namespace orrery::gpt {

struct AdamWConfig {
  float beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.1f;
};

struct LrSchedule {
  float max_lr = 1e-3f;
  float min_lr = 1e-4f;
  std::int64_t warmup_steps = 10;
  std::int64_t total_steps = 100;
  // Learning rate of step s (0-based): (s+1)/warmup * max during warm-up, then cosine from
  // max to min over the remaining steps, min after total_steps.
  float at(std::int64_t step) const;
};

class AdamW {
 public:
  AdamW(const AdamWConfig& cfg, std::size_t parameters) : cfg_(cfg), m_(parameters, 0.0f), v_(parameters, 0.0f) {}
  // One update of params from grads; t counts updates from 1. Decay applies to the tensors
  // marked decayed.
  void step(const std::vector<TensorInfo>& tensors, std::vector<float>& params, const std::vector<float>& grads, float lr);
  std::int64_t t() const { return t_; }
  void set_t(std::int64_t t) { t_ = t; }
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  const std::vector<float>& m() const { return m_; }
  const std::vector<float>& v() const { return v_; }

 private:
  AdamWConfig cfg_;
  std::vector<float> m_, v_;
  std::int64_t t_ = 0;
};

// The L2 norm of all gradients (summed in double, in index order).
double gradient_norm(const std::vector<float>& grads);
// Scales grads so their norm is at most max_norm (as torch.nn.utils.clip_grad_norm_ does:
// by max_norm / (norm + 1e-6) when norm exceeds it). max_norm <= 0 disables clipping.
void clip_gradients(std::vector<float>& grads, double norm, double max_norm);

}  // namespace orrery::gpt
