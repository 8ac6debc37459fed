#include "gpt/cuda/cublas_handle.hpp"

#include "gpt/cuda/cuda_check.hpp"

namespace orrery::gpt::cuda {

CublasHandle::CublasHandle(MatmulPrecision precision) : precision_(precision) {
  check_cublas(cublasCreate(&handle_), "cublasCreate");
  // Pedantic math keeps fp32 products from being rounded to TF32; bf16's compute type is
  // named on each call, and the default mode lets cuBLAS take the tensor-core kernels for it.
  check_cublas(cublasSetMathMode(handle_, precision == MatmulPrecision::fp32 ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH),
               "cublasSetMathMode");
}

CublasHandle::~CublasHandle() { static_cast<void>(cublasDestroy(handle_)); }

namespace {
cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }
}  // namespace

// A row-major (M,N) matrix is the column-major (N,M) matrix of the same memory, so the
// row-major C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T: swap the operands
// and the dimensions M and N; each operand keeps its transpose flag.
void row_major_sgemm(const CublasHandle& h, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  if (h.precision() == MatmulPrecision::bf16) {
    check_cublas(cublasGemmEx(h.get(), op(trans_b), op(trans_a), N, M, K, &alpha, B, CUDA_R_32F, ldb, A, CUDA_R_32F,
                              lda, &beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx (bf16)");
    return;
  }
  check_cublas(cublasSgemm(h.get(), op(trans_b), op(trans_a), N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc),
               "cublasSgemm");
}

void row_major_sgemm_batched(const CublasHandle& h, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                             const float* A, int lda, long stride_a, const float* B, int ldb, long stride_b,
                             float beta, float* C, int ldc, long stride_c, int batch) {
  if (h.precision() == MatmulPrecision::bf16) {
    check_cublas(cublasGemmStridedBatchedEx(h.get(), op(trans_b), op(trans_a), N, M, K, &alpha, B, CUDA_R_32F, ldb,
                                            stride_b, A, CUDA_R_32F, lda, stride_a, &beta, C, CUDA_R_32F, ldc, stride_c,
                                            batch, CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmStridedBatchedEx (bf16)");
    return;
  }
  check_cublas(cublasSgemmStridedBatched(h.get(), op(trans_b), op(trans_a), N, M, K, &alpha, B, ldb, stride_b, A, lda,
                                         stride_a, &beta, C, ldc, stride_c, batch),
               "cublasSgemmStridedBatched");
}

}  // namespace orrery::gpt::cuda
