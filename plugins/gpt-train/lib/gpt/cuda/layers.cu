// The GPU twins of gpt/layers.cpp (all but attention, which is in attention.cu). Each kernel
// computes what its CPU twin computes, in the order noted where that order matters.
#include "gpt/cuda/layers.hpp"

#include "gpt/cuda/cuda_check.hpp"
#include "gpt/cuda/warp_reduce.cuh"

namespace orrery::gpt::cuda {

// ----------------------------------------------------------------------------
// embedding

namespace {

__global__ void embedding_forward_kernel(float* out, const int* tokens, const float* wte, const float* wpe, int T,
                                         int C, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const long bt = i / C;
  const int c = static_cast<int>(i % C), t = static_cast<int>(bt % T);
  out[i] = wte[static_cast<long>(tokens[bt]) * C + c] + wpe[static_cast<long>(t) * C + c];
}

// Positions holding the same token meet in one dwte row: atomic adds.
__global__ void embedding_backward_wte_kernel(float* dwte, const float* dout, const int* tokens, int C, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const long bt = i / C;
  const int c = static_cast<int>(i % C);
  atomicAdd(dwte + static_cast<long>(tokens[bt]) * C + c, dout[i]);
}

// dwpe[t,c] sums over the batch, in batch order: one thread per (t,c).
__global__ void embedding_backward_wpe_kernel(float* dwpe, const float* dout, int B, int T, int C) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long>(T) * C) return;
  float acc = dwpe[i];
  for (int b = 0; b < B; ++b) acc += dout[static_cast<long>(b) * T * C + i];
  dwpe[i] = acc;
}

}  // namespace

void embedding_forward(float* out, const int* tokens, const float* wte, const float* wpe, int B, int T, int C) {
  const long n = static_cast<long>(B) * T * C;
  embedding_forward_kernel<<<element_blocks(n), kElementThreads>>>(out, tokens, wte, wpe, T, C, n);
  check_launch("embedding_forward");
}

void embedding_backward(float* dwte, float* dwpe, const float* dout, const int* tokens, int B, int T, int C) {
  const long n = static_cast<long>(B) * T * C;
  embedding_backward_wte_kernel<<<element_blocks(n), kElementThreads>>>(dwte, dout, tokens, C, n);
  check_launch("embedding_backward (wte)");
  embedding_backward_wpe_kernel<<<element_blocks(static_cast<long>(T) * C), kElementThreads>>>(dwpe, dout, B, T, C);
  check_launch("embedding_backward (wpe)");
}

// ----------------------------------------------------------------------------
// layernorm: one warp per row, mean then variance in two passes as on the CPU.

namespace {

__global__ void layernorm_forward_kernel(float* out, float* mean, float* rstd, const float* inp, const float* w,
                                         const float* b, int BT, int C) {
  const long row = warp_row();
  const int lane = warp_lane();
  if (row >= BT) return;  // whole warps leave together: a warp is one row
  const float* x = inp + row * C;
  float m = 0;
  for (int c = lane; c < C; c += kWarp) m += x[c];
  m = warp_sum(m) / static_cast<float>(C);
  float v = 0;
  for (int c = lane; c < C; c += kWarp) v += (x[c] - m) * (x[c] - m);
  v = warp_sum(v) / static_cast<float>(C);
  const float s = 1.0f / sqrtf(v + 1e-5f);
  float* o = out + row * C;
  for (int c = lane; c < C; c += kWarp) o[c] = (x[c] - m) * s * w[c] + b[c];
  if (lane == 0) {
    mean[row] = m;
    rstd[row] = s;
  }
}

// dx = s * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)), dnorm = dout * w, added into dinp.
__global__ void layernorm_backward_input_kernel(float* dinp, const float* dout, const float* inp, const float* w,
                                                const float* mean, const float* rstd, int BT, int C) {
  const long row = warp_row();
  const int lane = warp_lane();
  if (row >= BT) return;
  const float* d = dout + row * C;
  const float* x = inp + row * C;
  float* dx = dinp + row * C;
  const float m = mean[row], s = rstd[row];
  float dnorm_mean = 0, dnorm_norm_mean = 0;
  for (int c = lane; c < C; c += kWarp) {
    const float dn = d[c] * w[c];
    dnorm_mean += dn;
    dnorm_norm_mean += dn * (x[c] - m) * s;
  }
  dnorm_mean = warp_sum(dnorm_mean) / static_cast<float>(C);
  dnorm_norm_mean = warp_sum(dnorm_norm_mean) / static_cast<float>(C);
  for (int c = lane; c < C; c += kWarp) {
    const float norm = (x[c] - m) * s;
    dx[c] += s * (d[c] * w[c] - dnorm_mean - norm * dnorm_norm_mean);
  }
}

// dw and db sum over all rows, as column_sum_blocks (warp_reduce.cuh) says.
__global__ void layernorm_backward_params_kernel(float* dw, float* db, const float* dout, const float* inp,
                                                 const float* mean, const float* rstd, int BT, int C) {
  __shared__ ColumnLanes dw_lanes, db_lanes;
  const int c = static_cast<int>(blockIdx.x) * kColumnTile + static_cast<int>(threadIdx.x);
  float dw_acc = 0, db_acc = 0;
  if (c < C)
    for (int i = static_cast<int>(threadIdx.y); i < BT; i += kRowLanes) {
      const float d = dout[static_cast<long>(i) * C + c];
      dw_acc += d * (inp[static_cast<long>(i) * C + c] - mean[i]) * rstd[i];
      db_acc += d;
    }
  add_column_lanes(dw_lanes, dw_acc, c < C ? dw + c : nullptr);
  add_column_lanes(db_lanes, db_acc, c < C ? db + c : nullptr);
}

}  // namespace

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int BT,
                       int C) {
  layernorm_forward_kernel<<<row_blocks(BT), kRowsPerBlock * kWarp>>>(out, mean, rstd, inp, w, b, BT, C);
  check_launch("layernorm_forward");
}

void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int BT, int C) {
  layernorm_backward_input_kernel<<<row_blocks(BT), kRowsPerBlock * kWarp>>>(dinp, dout, inp, w, mean, rstd, BT, C);
  check_launch("layernorm_backward (input)");
  layernorm_backward_params_kernel<<<column_sum_blocks(C), column_sum_threads()>>>(dw, db, dout, inp, mean, rstd, BT, C);
  check_launch("layernorm_backward (parameters)");
}

// ----------------------------------------------------------------------------
// matmul: the products through cuBLAS, the bias in kernels.

namespace {

__global__ void broadcast_bias_kernel(float* out, const float* bias, int OC, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = bias[i % OC];
}

// dbias[o] += sum over rows of dout[:,o], as column_sum_blocks says.
__global__ void bias_backward_kernel(float* dbias, const float* dout, int BT, int OC) {
  __shared__ ColumnLanes lanes;
  const int o = static_cast<int>(blockIdx.x) * kColumnTile + static_cast<int>(threadIdx.x);
  float acc = 0;
  if (o < OC)
    for (int i = static_cast<int>(threadIdx.y); i < BT; i += kRowLanes) acc += dout[static_cast<long>(i) * OC + o];
  add_column_lanes(lanes, acc, o < OC ? dbias + o : nullptr);
}

}  // namespace

void matmul_forward(const CublasHandle& h, float* out, const float* inp, const float* w, const float* bias, int BT,
                    int C, int OC) {
  if (bias) {
    const long n = static_cast<long>(BT) * OC;
    broadcast_bias_kernel<<<element_blocks(n), kElementThreads>>>(out, bias, OC, n);
    check_launch("matmul_forward (bias)");
  }
  // out (BT,OC) = inp (BT,C) @ w^T (C,OC) [+ bias already in out]
  row_major_sgemm(h, false, true, BT, OC, C, 1.0f, inp, C, w, C, bias ? 1.0f : 0.0f, out, OC);
}

void matmul_backward(const CublasHandle& h, float* dinp, float* dw, float* dbias, const float* dout, const float* inp,
                     const float* w, int BT, int C, int OC) {
  // dinp (BT,C) += dout (BT,OC) @ w (OC,C)
  row_major_sgemm(h, false, false, BT, C, OC, 1.0f, dout, OC, w, C, 1.0f, dinp, C);
  // dw (OC,C) += dout^T (OC,BT) @ inp (BT,C)
  row_major_sgemm(h, true, false, OC, C, BT, 1.0f, dout, OC, inp, C, 1.0f, dw, C);
  if (dbias) {
    bias_backward_kernel<<<column_sum_blocks(OC), column_sum_threads()>>>(dbias, dout, BT, OC);
    check_launch("matmul_backward (bias)");
  }
}

// ----------------------------------------------------------------------------
// gelu (tanh approximation), residual

namespace {

constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2 / pi), as in gpt/layers.cpp

__global__ void gelu_forward_kernel(float* out, const float* inp, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float x = inp[i];
  out[i] = 0.5f * x * (1.0f + tanhf(kGeluScale * (x + 0.044715f * x * x * x)));
}

__global__ void gelu_backward_kernel(float* dinp, const float* inp, const float* dout, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float x = inp[i];
  const float u = kGeluScale * (x + 0.044715f * x * x * x);
  const float th = tanhf(u);
  const float sech2 = 1.0f - th * th;
  const float local = 0.5f * (1.0f + th) + 0.5f * x * sech2 * kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
  dinp[i] += local * dout[i];
}

__global__ void residual_forward_kernel(float* out, const float* a, const float* b, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

}  // namespace

void gelu_forward(float* out, const float* inp, long N) {
  gelu_forward_kernel<<<element_blocks(N), kElementThreads>>>(out, inp, N);
  check_launch("gelu_forward");
}

void gelu_backward(float* dinp, const float* inp, const float* dout, long N) {
  gelu_backward_kernel<<<element_blocks(N), kElementThreads>>>(dinp, inp, dout, N);
  check_launch("gelu_backward");
}

void residual_forward(float* out, const float* a, const float* b, long N) {
  residual_forward_kernel<<<element_blocks(N), kElementThreads>>>(out, a, b, N);
  check_launch("residual_forward");
}

// ----------------------------------------------------------------------------
// softmax + cross-entropy: one warp per position; the exponentials summed in double as on
// the CPU, the loss taken from the logits directly (exact where a probability underflows).

namespace {

__global__ void softmax_crossentropy_forward_kernel(float* probs, float* losses, const float* logits,
                                                    const int* targets, int BT, int V) {
  const long row = warp_row();
  const int lane = warp_lane();
  if (row >= BT) return;
  const float* l = logits + row * V;
  float* p = probs + row * V;
  float mx = -INFINITY;
  for (int v = lane; v < V; v += kWarp) mx = fmaxf(mx, l[v]);
  mx = warp_max(mx);
  double sum = 0;
  for (int v = lane; v < V; v += kWarp) {
    p[v] = expf(l[v] - mx);
    sum += p[v];
  }
  sum = warp_sum(sum);
  const float inv = static_cast<float>(1.0 / sum);
  for (int v = lane; v < V; v += kWarp) p[v] *= inv;
  if (lane == 0) losses[row] = static_cast<float>(log(sum)) + mx - l[targets[row]];
}

__global__ void softmax_crossentropy_backward_kernel(float* dlogits, const float* probs, const int* targets, int V,
                                                     float scale, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const long row = i / V;
  const int v = static_cast<int>(i % V);
  const float d = probs[i] * scale;
  dlogits[i] = v == targets[row] ? d - scale : d;
}

}  // namespace

void softmax_crossentropy_forward(float* probs, float* losses, const float* logits, const int* targets, int BT, int V) {
  softmax_crossentropy_forward_kernel<<<row_blocks(BT), kRowsPerBlock * kWarp>>>(probs, losses, logits, targets, BT,
                                                                                  V);
  check_launch("softmax_crossentropy_forward");
}

void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* targets, int BT, int V, float scale) {
  const long n = static_cast<long>(BT) * V;
  softmax_crossentropy_backward_kernel<<<element_blocks(n), kElementThreads>>>(dlogits, probs, targets, V, scale, n);
  check_launch("softmax_crossentropy_backward");
}

}  // namespace orrery::gpt::cuda
