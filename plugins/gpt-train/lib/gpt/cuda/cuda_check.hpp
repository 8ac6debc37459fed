// Errors of the CUDA runtime and of cuBLAS become exceptions that name the call that failed,
// so a kernel launched with a bad shape or a device out of memory stops the run with a reason
// instead of leaving garbage in the gradients.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace orrery::gpt::cuda {

inline void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(status));
}

// After a kernel launch: a bad launch configuration is reported here, not at the next sync.
inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

inline void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuBLAS: ") + what + ": " + cublasGetStatusString(status));
}

}  // namespace orrery::gpt::cuda
