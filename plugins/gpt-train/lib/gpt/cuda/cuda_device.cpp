#include "gpt/cuda/cuda_device.hpp"

#include <cuda_runtime_api.h>

#include "gpt/cuda/cuda_check.hpp"

namespace orrery::gpt::cuda {

CudaAvailability probe_cuda() {
  CudaAvailability found;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    found.reason = cudaGetErrorString(status);
    return found;
  }
  if (count == 0) {
    found.reason = "no CUDA device";
    return found;
  }
  cudaDeviceProp props{};
  if (cudaGetDeviceProperties(&props, 0) != cudaSuccess) {
    found.reason = "device 0's properties cannot be read";
    return found;
  }
  found.devices = count;
  found.name = props.name;
  return found;
}

CudaDeviceInfo use_cuda_device(int index) {
  check_cuda(cudaSetDevice(index), "cudaSetDevice");
  cudaDeviceProp props{};
  check_cuda(cudaGetDeviceProperties(&props, index), "cudaGetDeviceProperties");
  return {index, props.name, props.totalGlobalMem};
}

}  // namespace orrery::gpt::cuda
