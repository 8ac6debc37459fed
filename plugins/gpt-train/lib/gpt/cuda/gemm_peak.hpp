// The GPU's measured matrix-product rate, the denominator of MFU on the CUDA kernels (the
// CPU path measures OpenBLAS's sgemm the same way): the best of a few square products
// through the same cuBLAS handle, so with the same precision, as the model's products.
#pragma once

#include "gpt/cuda/cublas_handle.hpp"

namespace orrery::gpt::cuda {

// FLOP/s of row_major_sgemm on n x n x n products (n = 4096: large enough for the tensor
// cores to reach their rate, 192 MiB of device memory while it runs).
double measured_gemm_flops(const CublasHandle& h, int n = 4096);

}  // namespace orrery::gpt::cuda
