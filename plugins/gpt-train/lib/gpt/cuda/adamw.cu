#include "gpt/cuda/adamw.hpp"

#include <cmath>

#include "gpt/cuda/cuda_check.hpp"
#include "gpt/cuda/warp_reduce.cuh"

namespace orrery::gpt::cuda {

namespace {

// The constants of one update, computed on the host as AdamW::step computes them.
struct AdamWUpdate {
  float b1, b2, eps, step_size, bc2_sqrt, decay;
};

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, long n, AdamWUpdate u) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  m[i] = u.b1 * m[i] + (1.0f - u.b1) * g[i];
  v[i] = u.b2 * v[i] + (1.0f - u.b2) * g[i] * g[i];
  const float denom = sqrtf(v[i]) / u.bc2_sqrt + u.eps;
  p[i] = p[i] * u.decay - u.step_size * m[i] / denom;
}

}  // namespace

void adamw_step(const std::vector<TensorInfo>& tensors, const AdamWConfig& cfg, float* params, const float* grads,
                float* m, float* v, std::int64_t t, float lr) {
  const float bc1 = 1.0f - std::pow(cfg.beta1, static_cast<float>(t));
  AdamWUpdate u{cfg.beta1, cfg.beta2, cfg.eps, lr / bc1,
                std::sqrt(1.0f - std::pow(cfg.beta2, static_cast<float>(t))), 1.0f};
  for (const auto& tensor : tensors) {
    if (tensor.size == 0) continue;
    u.decay = tensor.decayed ? 1.0f - lr * cfg.weight_decay : 1.0f;
    const long n = static_cast<long>(tensor.size);
    const std::size_t o = tensor.offset;
    adamw_kernel<<<element_blocks(n), kElementThreads>>>(params + o, grads + o, m + o, v + o, n, u);
    check_launch("adamw_step");
  }
}

}  // namespace orrery::gpt::cuda
