#include "gpt/cuda/gemm_peak.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "gpt/cuda/cuda_check.hpp"
#include "gpt/cuda/device_buffer.hpp"

namespace orrery::gpt::cuda {

namespace {

// Owned CUDA event (the timer of work on the default stream).
class CudaEvent {
 public:
  CudaEvent() { check_cuda(cudaEventCreate(&event_), "cudaEventCreate"); }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  ~CudaEvent() { static_cast<void>(cudaEventDestroy(event_)); }
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace

double measured_gemm_flops(const CublasHandle& h, int n) {
  const auto count = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  const std::vector<float> a(count, 0.5f), b(count, 0.25f);
  DeviceBuffer<float> da{std::span<const float>(a)}, db{std::span<const float>(b)}, dc(count);
  CudaEvent start, stop;
  float best_ms = 1e30f;
  for (int rep = 0; rep < 4; ++rep) {  // the first loads cuBLAS's kernels and warms the clocks
    check_cuda(cudaEventRecord(start.get()), "cudaEventRecord");
    row_major_sgemm(h, false, false, n, n, n, 1.0f, da.data(), n, db.data(), n, 0.0f, dc.data(), n);
    check_cuda(cudaEventRecord(stop.get()), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(stop.get()), "cudaEventSynchronize");
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, start.get(), stop.get()), "cudaEventElapsedTime");
    if (rep > 0) best_ms = std::min(best_ms, ms);
  }
  return 2.0 * n * static_cast<double>(n) * n / (static_cast<double>(best_ms) * 1e-3);
}

}  // namespace orrery::gpt::cuda
