// The GPU twin of AdamW::step (gpt/adamw.hpp) over all parameters: the same update, bias
// corrections and per-tensor decoupled weight decay, on parameters, gradients and moments
// that live on the device.
#pragma once

#include <cstdint>
#include <vector>

#include "gpt/adamw.hpp"
#include "gpt/model.hpp"

namespace orrery::gpt::cuda {

// One update of params from grads; m and v are the moments, t the update's number counted
// from 1 (AdamW::t() after its step). Each tensor's range [offset, offset+size) of the flat
// arrays is updated, decayed when the tensor is marked so.
void adamw_step(const std::vector<TensorInfo>& tensors, const AdamWConfig& cfg, float* params, const float* grads,
                float* m, float* v, std::int64_t t, float lr);

}  // namespace orrery::gpt::cuda
