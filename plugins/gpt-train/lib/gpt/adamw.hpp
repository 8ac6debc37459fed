// AdamW (decoupled weight decay, PyTorch's torch.optim.AdamW update), the learning-rate
// schedule (linear warm-up, then cosine decay to a floor) and global-norm gradient clipping.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gpt/model.hpp"
#include "gpt/shard_range.hpp"

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

// The moments and the update of the parameters in range() of the flat array: all of them,
// or under ZeRO-1 sharding one rank's slice (the others' slices are updated by their owners).
class AdamW {
 public:
  AdamW(const AdamWConfig& cfg, std::size_t parameters) : AdamW(cfg, ShardRange{0, parameters}) {}
  AdamW(const AdamWConfig& cfg, ShardRange range)
      : cfg_(cfg), range_(range), m_(range.count, 0.0f), v_(range.count, 0.0f) {}
  // One update of params[range()] from grads, the gradients of range() alone
  // (grads[i - range().first] is parameter i's); t counts updates from 1. Decay applies to
  // the tensors marked decayed.
  void step(const std::vector<TensorInfo>& tensors, std::vector<float>& params, std::span<const float> grads, float lr);
  const AdamWConfig& config() const { return cfg_; }
  ShardRange range() const { return range_; }
  // Bytes of moment storage this optimizer holds (m and v of range()).
  std::size_t state_bytes() const { return (m_.size() + v_.size()) * sizeof(float); }
  std::int64_t t() const { return t_; }
  void set_t(std::int64_t t) { t_ = t; }
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  const std::vector<float>& m() const { return m_; }
  const std::vector<float>& v() const { return v_; }

 private:
  AdamWConfig cfg_;
  ShardRange range_;
  std::vector<float> m_, v_;  // of range(): m_[i - range_.first] is parameter i's
  std::int64_t t_ = 0;
};

// The sum of the squared gradients (in double; blocks of 65,536 in parallel, then the blocks in
// order, so the same for any thread count): one rank's part of the
// global norm when the gradients are sharded.
double sum_of_squares(std::span<const float> grads);
// The L2 norm of all gradients: sqrt(sum_of_squares).
double gradient_norm(std::span<const float> grads);
// Scales grads so their norm is at most max_norm (as torch.nn.utils.clip_grad_norm_ does:
// by max_norm / (norm + 1e-6) when norm exceeds it). max_norm <= 0 disables clipping.
// norm is that of all gradients, grads any part of them.
void clip_gradients(std::span<float> grads, double norm, double max_norm);

}  // namespace orrery::gpt
