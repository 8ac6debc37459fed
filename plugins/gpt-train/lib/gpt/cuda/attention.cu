// The GPU twin of attention_forward/_backward in gpt/layers.cpp: per batch row, the heads'
// products as one strided batched cuBLAS call on the strided views of qkv (head h's q, k, v
// start hs floats after head h-1's, rows are 3C apart); the causal softmax and its backward
// as kernels, one warp per score row. Masked scores (u > t) get probability 0 and gradient 0.
#include <cmath>

#include "gpt/cuda/cuda_check.hpp"
#include "gpt/cuda/layers.hpp"
#include "gpt/cuda/warp_reduce.cuh"

namespace orrery::gpt::cuda {

namespace {

// Row r of (B,NH,T,T) holds the scores of position t = r % T over positions 0..T-1.
__global__ void causal_softmax_kernel(float* att, const float* preatt, long rows, int T) {
  const long r = warp_row();
  const int lane = warp_lane();
  if (r >= rows) return;
  const int t = static_cast<int>(r % T);
  const float* p = preatt + r * T;
  float* a = att + r * T;
  float mx = -INFINITY;
  for (int u = lane; u <= t; u += kWarp) mx = fmaxf(mx, p[u]);
  mx = warp_max(mx);
  float sum = 0;
  for (int u = lane; u <= t; u += kWarp) {
    a[u] = expf(p[u] - mx);
    sum += a[u];
  }
  const float inv = 1.0f / warp_sum(sum);
  for (int u = lane; u <= t; u += kWarp) a[u] *= inv;
  for (int u = t + 1 + lane; u < T; u += kWarp) a[u] = 0;
}

// dpreatt = att * (datt - sum(att * datt)) over the unmasked scores, 0 elsewhere.
__global__ void causal_softmax_backward_kernel(float* dpreatt, const float* att, const float* datt, long rows, int T) {
  const long r = warp_row();
  const int lane = warp_lane();
  if (r >= rows) return;
  const int t = static_cast<int>(r % T);
  const float* a = att + r * T;
  const float* da = datt + r * T;
  float* dp = dpreatt + r * T;
  float dot = 0;
  for (int u = lane; u <= t; u += kWarp) dot += a[u] * da[u];
  dot = warp_sum(dot);
  for (int u = lane; u <= t; u += kWarp) dp[u] = a[u] * (da[u] - dot);
  for (int u = t + 1 + lane; u < T; u += kWarp) dp[u] = 0;
}

}  // namespace

void attention_forward(const CublasHandle& h, float* out, float* preatt, float* att, const float* qkv, int B, int T,
                       int C, int NH) {
  const int hs = C / NH, C3 = 3 * C;
  const long TT = static_cast<long>(T) * T;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int b = 0; b < B; ++b) {
    const float* q = qkv + static_cast<long>(b) * T * C3;
    const float* k = q + C;
    // preatt_h (T,T) = scale * q_h (T,hs) @ k_h^T (hs,T), for the NH heads
    row_major_sgemm_batched(h, false, true, T, T, hs, scale, q, C3, hs, k, C3, hs, 0.0f, preatt + b * NH * TT, T, TT,
                            NH);
  }
  const long rows = static_cast<long>(B) * NH * T;
  causal_softmax_kernel<<<row_blocks(rows), kRowsPerBlock * kWarp>>>(att, preatt, rows, T);
  check_launch("attention_forward (softmax)");
  for (int b = 0; b < B; ++b) {
    const float* v = qkv + static_cast<long>(b) * T * C3 + 2 * C;
    // out_h (T,hs) = att_h (T,T) @ v_h (T,hs)
    row_major_sgemm_batched(h, false, false, T, hs, T, 1.0f, att + b * NH * TT, T, TT, v, C3, hs, 0.0f,
                            out + static_cast<long>(b) * T * C, C, hs, NH);
  }
}

void attention_backward(const CublasHandle& h, float* dqkv, float* dpreatt, float* datt, const float* dout,
                        const float* qkv, const float* att, int B, int T, int C, int NH) {
  const int hs = C / NH, C3 = 3 * C;
  const long TT = static_cast<long>(T) * T;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int b = 0; b < B; ++b) {
    const float* v = qkv + static_cast<long>(b) * T * C3 + 2 * C;
    float* dv = dqkv + static_cast<long>(b) * T * C3 + 2 * C;
    const float* d = dout + static_cast<long>(b) * T * C;
    const float* a = att + b * NH * TT;
    // datt_h (T,T) = dout_h (T,hs) @ v_h^T (hs,T)
    row_major_sgemm_batched(h, false, true, T, T, hs, 1.0f, d, C, hs, v, C3, hs, 0.0f, datt + b * NH * TT, T, TT, NH);
    // dv_h (T,hs) += att_h^T (T,T) @ dout_h (T,hs)
    row_major_sgemm_batched(h, true, false, T, hs, T, 1.0f, a, T, TT, d, C, hs, 1.0f, dv, C3, hs, NH);
  }
  const long rows = static_cast<long>(B) * NH * T;
  causal_softmax_backward_kernel<<<row_blocks(rows), kRowsPerBlock * kWarp>>>(dpreatt, att, datt, rows, T);
  check_launch("attention_backward (softmax)");
  for (int b = 0; b < B; ++b) {
    const float* q = qkv + static_cast<long>(b) * T * C3;
    const float* k = q + C;
    float* dq = dqkv + static_cast<long>(b) * T * C3;
    float* dk = dq + C;
    const float* dp = dpreatt + b * NH * TT;
    // dq_h (T,hs) += scale * dpreatt_h (T,T) @ k_h (T,hs);  dk_h (T,hs) += scale * dpreatt_h^T (T,T) @ q_h (T,hs)
    row_major_sgemm_batched(h, false, false, T, hs, T, scale, dp, T, TT, k, C3, hs, 1.0f, dq, C3, hs, NH);
    row_major_sgemm_batched(h, true, false, T, hs, T, scale, dp, T, TT, q, C3, hs, 1.0f, dk, C3, hs, NH);
  }
}

}  // namespace orrery::gpt::cuda
