#include "gpt/cuda/pinned_host.hpp"

#include <cuda_runtime_api.h>

namespace orrery::gpt::cuda {

PinnedHostRange::PinnedHostRange(void* data, std::size_t bytes) : data_(data) {
  if (data == nullptr || bytes == 0) return;
  const cudaError_t status = cudaHostRegister(data, bytes, cudaHostRegisterDefault);
  pinned_ = status == cudaSuccess;
  if (!pinned_) {
    why_not_ = cudaGetErrorString(status);
    static_cast<void>(cudaGetLastError());  // the failed registration is not a later call's error
  }
}

PinnedHostRange::~PinnedHostRange() {
  // The status is dropped: a destructor must not throw, and a failure means the context is
  // already gone.
  if (pinned_) static_cast<void>(cudaHostUnregister(data_));
}

}  // namespace orrery::gpt::cuda
