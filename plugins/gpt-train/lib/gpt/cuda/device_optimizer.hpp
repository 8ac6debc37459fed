// The optimizer step of a replicated run kept on the GPU, for a rank that needs no host copy
// of its gradients (one rank: nothing to all-reduce): the global gradient norm, clipping and
// AdamW as gpt/adamw.hpp's gradient_norm, clip_gradients and AdamW::step do them, on the
// GptCuda's own gradients and parameters, with the moments in device memory. The host AdamW
// stays what checkpoints read and resume fills: the device moments start as a copy of it and
// are copied back by download(). Without this, a step moved 2 x 4 bytes a parameter over
// PCIe and ran AdamW on the host (at GPT-2 124M on an H100: 240 of 534 ms a step).
#pragma once

#include <cstdint>

#include "gpt/adamw.hpp"
#include "gpt/cuda/device_buffer.hpp"
#include "gpt/cuda/model.hpp"

namespace orrery::gpt::cuda {

class DeviceAdamW {
 public:
  // A copy of host's configuration, moments and update count; host holds all parameters.
  explicit DeviceAdamW(const AdamW& host);

  // One update of model's parameters from its gradients (which are clipped in place when
  // their norm exceeds max_norm; max_norm <= 0: no clipping). Returns the norm before clipping.
  double step(GptCuda& model, float lr, double max_norm);
  // The moments and the update count into host (a checkpoint is about to read it).
  void download(AdamW& host) const;
  std::int64_t t() const { return t_; }

 private:
  AdamWConfig cfg_;
  DeviceBuffer<float> m_, v_;
  DeviceBuffer<double> squares_;  // the norm's sum of squares, added to by every block
  std::int64_t t_ = 0;
};

}  // namespace orrery::gpt::cuda
