// The cuBLAS context the matrix products run in, and row-major wrappers of its column-major
// sgemm so the GPU twins read like the CPU kernels' cblas_sgemm(CblasRowMajor, ...) calls.
#pragma once

#include <cublas_v2.h>

namespace orrery::gpt::cuda {

// How the products are computed. fp32: plain FP32 (no TF32 tensor-core rounding), so they
// agree with the CPU's within float reduction-order tolerance. bf16: the same fp32 arrays in
// and out, the operands rounded to bf16 inside cuBLAS (CUBLAS_COMPUTE_32F_FAST_16BF: tensor
// cores, fp32 accumulation); nothing else of the model changes, so the master weights,
// gradients and optimizer state stay fp32.
enum class MatmulPrecision { fp32, bf16 };

// Owns a cublasHandle_t and the precision every product made through it uses.
class CublasHandle {
 public:
  explicit CublasHandle(MatmulPrecision precision = MatmulPrecision::fp32);
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle();
  cublasHandle_t get() const { return handle_; }
  MatmulPrecision precision() const { return precision_; }

 private:
  cublasHandle_t handle_ = nullptr;
  MatmulPrecision precision_;
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
