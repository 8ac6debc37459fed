#include "gpt/cuda/device_optimizer.hpp"

#include <cuda_runtime_api.h>

#include <cmath>
#include <span>
#include <stdexcept>

#include "gpt/cuda/adamw.hpp"
#include "gpt/cuda/cuda_check.hpp"
#include "gpt/cuda/warp_reduce.cuh"

namespace orrery::gpt::cuda {

namespace {

constexpr unsigned kNormBlocks = 1024;  // grid-stride: a few blocks per multiprocessor

// out += the sum of g[i]^2, in double as the host's sum_of_squares (the order differs).
__global__ void sum_of_squares_kernel(const float* g, long n, double* out) {
  double sum = 0;
  for (long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<long>(gridDim.x) * blockDim.x)
    sum += static_cast<double>(g[i]) * g[i];
  sum = warp_sum(sum);
  if (threadIdx.x % kWarp == 0) atomicAdd(out, sum);
}

__global__ void scale_kernel(float* g, long n, float scale) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) g[i] *= scale;
}

}  // namespace

DeviceAdamW::DeviceAdamW(const AdamW& host)
    : cfg_(host.config()),
      m_(std::span<const float>(host.m())),
      v_(std::span<const float>(host.v())),
      squares_(1),
      t_(host.t()) {
  if (host.range().first != 0)
    throw std::invalid_argument("DeviceAdamW: the optimizer holds a slice of the parameters (ZeRO-1), not all of them");
}

double DeviceAdamW::step(GptCuda& model, float lr, double max_norm) {
  const long n = static_cast<long>(m_.size());
  if (model.tensors().empty() || static_cast<long>(model.parameter_count()) != n)
    throw std::invalid_argument("DeviceAdamW::step: the model's parameters are not the optimizer's");
  squares_.zero();
  sum_of_squares_kernel<<<kNormBlocks, kElementThreads>>>(model.grads(), n, squares_.data());
  check_launch("gradient norm");
  double squares = 0;
  check_cuda(cudaMemcpy(&squares, squares_.data(), sizeof squares, cudaMemcpyDeviceToHost), "gradient norm");
  const double norm = std::sqrt(squares);
  // As clip_gradients: the same coefficient, rounded to float, applied to each gradient.
  if (max_norm > 0 && max_norm / (norm + 1e-6) < 1.0) {
    scale_kernel<<<element_blocks(n), kElementThreads>>>(model.grads(), n, static_cast<float>(max_norm / (norm + 1e-6)));
    check_launch("clip gradients");
  }
  ++t_;
  adamw_step(model.tensors(), cfg_, model.params(), model.grads(), m_.data(), v_.data(), t_, lr);
  return norm;
}

void DeviceAdamW::download(AdamW& host) const {
  m_.download(host.m());
  v_.download(host.v());
  host.set_t(t_);
}

}  // namespace orrery::gpt::cuda
