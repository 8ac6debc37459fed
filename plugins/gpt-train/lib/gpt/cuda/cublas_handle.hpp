// The cuBLAS context the matrix products run in, and row-major wrappers of its column-major
// sgemm so the GPU twins read like the CPU kernels' cblas_sgemm(CblasRowMajor, ...) calls.
#pragma once

#include <cublas_v2.h>

namespace orrery::gpt::cuda {

// Owns a cublasHandle_t. Its math mode is plain FP32 (no TF32 tensor-core rounding), so the
// products agree with the CPU's within float reduction-order tolerance.
class CublasHandle {
 public:
  CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle();
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

// C (M,N) = alpha * op(A) (M,K) @ op(B) (K,N) + beta * C, all row-major with leading
// dimensions lda, ldb, ldc, as cblas_sgemm(CblasRowMajor, ...) computes it.
void row_major_sgemm(const CublasHandle& h, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

// batch products of the same shape, the i-th on A + i*stride_a, B + i*stride_b, C + i*stride_c.
void row_major_sgemm_batched(const CublasHandle& h, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                             const float* A, int lda, long stride_a, const float* B, int ldb, long stride_b,
                             float beta, float* C, int ldc, long stride_c, int batch);

}  // namespace orrery::gpt::cuda
