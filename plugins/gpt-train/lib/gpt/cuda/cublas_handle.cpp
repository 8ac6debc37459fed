#include "gpt/cuda/cublas_handle.hpp"

#include "gpt/cuda/cuda_check.hpp"

namespace orrery::gpt::cuda {

CublasHandle::CublasHandle() {
  check_cublas(cublasCreate(&handle_), "cublasCreate");
  check_cublas(cublasSetMathMode(handle_, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
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
  check_cublas(cublasSgemm(h.get(), op(trans_b), op(trans_a), N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc),
               "cublasSgemm");
}

void row_major_sgemm_batched(const CublasHandle& h, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                             const float* A, int lda, long stride_a, const float* B, int ldb, long stride_b,
                             float beta, float* C, int ldc, long stride_c, int batch) {
  check_cublas(cublasSgemmStridedBatched(h.get(), op(trans_b), op(trans_a), N, M, K, &alpha, B, ldb, stride_b, A, lda,
                                         stride_a, &beta, C, ldc, stride_c, batch),
               "cublasSgemmStridedBatched");
}

}  // namespace orrery::gpt::cuda
