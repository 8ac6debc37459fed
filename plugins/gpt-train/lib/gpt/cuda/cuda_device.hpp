// Whether a CUDA device can be used here. The runtime is linked statically and loads the
// driver (libcuda) itself when first called: with no driver, or a driver and no device, the
// answer is "none" with the runtime's reason, and callers fall back to the CPU kernels.
#pragma once

#include <cstddef>
#include <string>

namespace orrery::gpt::cuda {

struct CudaAvailability {
  int devices = 0;     // usable CUDA devices; 0 when none or no driver
  std::string reason;  // why none, from the runtime; empty when devices > 0
  std::string name;    // device 0's name when devices > 0
};

CudaAvailability probe_cuda();

// The device this process computes on from now on (cudaSetDevice), and what it is.
struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  std::size_t memory_bytes = 0;
};
CudaDeviceInfo use_cuda_device(int index);

}  // namespace orrery::gpt::cuda
