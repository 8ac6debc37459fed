#include "gpt/layers.hpp"

#include <cblas.h>

#include <cmath>
#include <limits>
#include <vector>

namespace orrery::gpt {

// ----------------------------------------------------------------------------
// embedding

void embedding_forward(float* out, const int* tokens, const float* wte, const float* wpe, int B, int T, int C) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      float* o = out + (static_cast<long>(b) * T + t) * C;
      const float* e = wte + static_cast<long>(tokens[b * T + t]) * C;
      const float* p = wpe + static_cast<long>(t) * C;
#pragma omp simd
      for (int c = 0; c < C; ++c) o[c] = e[c] + p[c];
    }
}

void embedding_backward(float* dwte, float* dwpe, const float* dout, const int* tokens, int B, int T, int C) {
  // Several positions may hold the same token: the scatter into dwte stays serial (in a fixed
  // order, so the sum is the same on every run); the channels are split over the threads.
#pragma omp parallel for schedule(static)
  for (int c0 = 0; c0 < C; c0 += 16) {
    const int c1 = c0 + 16 < C ? c0 + 16 : C;
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t) {
        const float* d = dout + (static_cast<long>(b) * T + t) * C;
        float* e = dwte + static_cast<long>(tokens[b * T + t]) * C;
        float* p = dwpe + static_cast<long>(t) * C;
        for (int c = c0; c < c1; ++c) {
          e[c] += d[c];
          p[c] += d[c];
        }
      }
  }
}

// ----------------------------------------------------------------------------
// layernorm

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int BT,
                       int C) {
  constexpr float eps = 1e-5f;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < BT; ++i) {
    const float* x = inp + static_cast<long>(i) * C;
    float m = 0;
#pragma omp simd reduction(+ : m)
    for (int c = 0; c < C; ++c) m += x[c];
    m /= static_cast<float>(C);
    float v = 0;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; ++c) v += (x[c] - m) * (x[c] - m);
    v /= static_cast<float>(C);
    const float s = 1.0f / std::sqrt(v + eps);
    float* o = out + static_cast<long>(i) * C;
#pragma omp simd
    for (int c = 0; c < C; ++c) o[c] = (x[c] - m) * s * w[c] + b[c];
    mean[i] = m;
    rstd[i] = s;
  }
}

void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int BT, int C) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < BT; ++i) {
    const float* d = dout + static_cast<long>(i) * C;
    const float* x = inp + static_cast<long>(i) * C;
    float* dx = dinp + static_cast<long>(i) * C;
    const float m = mean[i], s = rstd[i];
    // dnorm = dout * w; dx = s * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
    float dnorm_mean = 0, dnorm_norm_mean = 0;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
    for (int c = 0; c < C; ++c) {
      const float dn = d[c] * w[c];
      dnorm_mean += dn;
      dnorm_norm_mean += dn * (x[c] - m) * s;
    }
    dnorm_mean /= static_cast<float>(C);
    dnorm_norm_mean /= static_cast<float>(C);
#pragma omp simd
    for (int c = 0; c < C; ++c) {
      const float norm = (x[c] - m) * s;
      dx[c] += s * (d[c] * w[c] - dnorm_mean - norm * dnorm_norm_mean);
    }
  }
  // The parameter gradients sum over all rows: channels split over the threads, rows in order.
#pragma omp parallel for schedule(static)
  for (int c0 = 0; c0 < C; c0 += 16) {
    const int c1 = c0 + 16 < C ? c0 + 16 : C;
    for (int i = 0; i < BT; ++i) {
      const float* d = dout + static_cast<long>(i) * C;
      const float* x = inp + static_cast<long>(i) * C;
      for (int c = c0; c < c1; ++c) {
        dw[c] += d[c] * (x[c] - mean[i]) * rstd[i];
        db[c] += d[c];
      }
    }
  }
}

// ----------------------------------------------------------------------------
// matmul (BLAS)

void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int BT, int C, int OC) {
  if (bias) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < BT; ++i)
      for (int o = 0; o < OC; ++o) out[static_cast<long>(i) * OC + o] = bias[o];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BT, OC, C, 1.0f, inp, C, w, C, bias ? 1.0f : 0.0f, out, OC);
}

void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp, const float* w, int BT,
                     int C, int OC) {
  // dinp (BT,C) += dout (BT,OC) @ w (OC,C)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BT, C, OC, 1.0f, dout, OC, w, C, 1.0f, dinp, C);
  // dw (OC,C) += dout^T (OC,BT) @ inp (BT,C)
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, BT, 1.0f, dout, OC, inp, C, 1.0f, dw, C);
  if (dbias) {
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OC; o0 += 16) {
      const int o1 = o0 + 16 < OC ? o0 + 16 : OC;
      for (int i = 0; i < BT; ++i)
        for (int o = o0; o < o1; ++o) dbias[o] += dout[static_cast<long>(i) * OC + o];
    }
  }
}

// ----------------------------------------------------------------------------
// attention: per (batch, head) products through BLAS on strided views of qkv; the causal
// mask is applied in the softmax (masked scores get probability 0, so they add nothing
// to the products and their gradients are 0).

namespace {
long head_block(int b, int h, int NH, int T) { return (static_cast<long>(b) * NH + h) * T * T; }
}  // namespace

void attention_forward(float* out, float* preatt, float* att, const float* qkv, int B, int T, int C, int NH) {
  const int hs = C / NH, C3 = 3 * C;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const float* q = qkv + static_cast<long>(b) * T * C3 + h * hs;
      const float* k = q + C;
      // preatt (T,T) = scale * q (T,hs) @ k^T (hs,T)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q, C3, k, C3, 0.0f,
                  preatt + head_block(b, h, NH, T), T);
    }
#pragma omp parallel for schedule(static)
  for (long r = 0; r < static_cast<long>(B) * NH * T; ++r) {
    const int t = static_cast<int>(r % T);
    const float* p = preatt + r * T;
    float* a = att + r * T;
    float mx = -std::numeric_limits<float>::infinity();
    for (int u = 0; u <= t; ++u) mx = p[u] > mx ? p[u] : mx;
    float sum = 0;
    for (int u = 0; u <= t; ++u) {
      a[u] = std::exp(p[u] - mx);
      sum += a[u];
    }
    const float inv = 1.0f / sum;
    for (int u = 0; u <= t; ++u) a[u] *= inv;
    for (int u = t + 1; u < T; ++u) a[u] = 0;
  }
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const float* v = qkv + static_cast<long>(b) * T * C3 + 2 * C + h * hs;
      // out_h (T,hs) = att (T,T) @ v (T,hs)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, att + head_block(b, h, NH, T), T, v, C3,
                  0.0f, out + static_cast<long>(b) * T * C + h * hs, C);
    }
}

void attention_backward(float* dqkv, float* dpreatt, float* datt, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH) {
  const int hs = C / NH, C3 = 3 * C;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const float* v = qkv + static_cast<long>(b) * T * C3 + 2 * C + h * hs;
      float* dv = dqkv + static_cast<long>(b) * T * C3 + 2 * C + h * hs;
      const float* d = dout + static_cast<long>(b) * T * C + h * hs;
      const float* a = att + head_block(b, h, NH, T);
      // datt (T,T) = dout_h (T,hs) @ v^T (hs,T)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, d, C, v, C3, 0.0f,
                  datt + head_block(b, h, NH, T), T);
      // dv (T,hs) += att^T (T,T) @ dout_h (T,hs)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, d, C, 1.0f, dv, C3);
    }
  // softmax backward: dpreatt = att * (datt - sum(att * datt))
#pragma omp parallel for schedule(static)
  for (long r = 0; r < static_cast<long>(B) * NH * T; ++r) {
    const int t = static_cast<int>(r % T);
    const float* a = att + r * T;
    const float* da = datt + r * T;
    float* dp = dpreatt + r * T;
    float dot = 0;
    for (int u = 0; u <= t; ++u) dot += a[u] * da[u];
    for (int u = 0; u <= t; ++u) dp[u] = a[u] * (da[u] - dot);
    for (int u = t + 1; u < T; ++u) dp[u] = 0;
  }
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const float* q = qkv + static_cast<long>(b) * T * C3 + h * hs;
      const float* k = q + C;
      float* dq = dqkv + static_cast<long>(b) * T * C3 + h * hs;
      float* dk = dq + C;
      const float* dp = dpreatt + head_block(b, h, NH, T);
      // dq (T,hs) += scale * dpreatt (T,T) @ k (T,hs);  dk (T,hs) += scale * dpreatt^T (T,T) @ q (T,hs)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, scale, dp, T, k, C3, 1.0f, dq, C3);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, scale, dp, T, q, C3, 1.0f, dk, C3);
    }
}

// ----------------------------------------------------------------------------
// residual (GELU is in gelu.cpp: compiled with its own flags)

void residual_forward(float* out, const float* a, const float* b, long N) {
#pragma omp parallel for simd schedule(static)
  for (long i = 0; i < N; ++i) out[i] = a[i] + b[i];
}

// ----------------------------------------------------------------------------
// softmax + cross-entropy

void softmax_crossentropy_forward(float* probs, float* losses, const float* logits, const int* targets, int BT, int V) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < BT; ++i) {
    const float* l = logits + static_cast<long>(i) * V;
    float* p = probs + static_cast<long>(i) * V;
    float mx = -std::numeric_limits<float>::infinity();
    for (int v = 0; v < V; ++v) mx = l[v] > mx ? l[v] : mx;
    double sum = 0;
    for (int v = 0; v < V; ++v) {
      p[v] = std::exp(l[v] - mx);
      sum += p[v];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int v = 0; v < V; ++v) p[v] *= inv;
    // -log softmax from the logits directly: exact where a probability underflows to 0.
    losses[i] = static_cast<float>(std::log(sum)) + mx - l[targets[i]];
  }
}

void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* targets, int BT, int V, float scale) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < BT; ++i) {
    const float* p = probs + static_cast<long>(i) * V;
    float* d = dlogits + static_cast<long>(i) * V;
#pragma omp simd
    for (int v = 0; v < V; ++v) d[v] = p[v] * scale;
    d[targets[i]] -= scale;
  }
}

}  // namespace orrery::gpt
