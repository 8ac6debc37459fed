// GELU, tanh approximation (GPT-2's), forward and backward: gpt/layers.hpp.
//
// Its own file for its own compile flags (plugins/gpt-train/CMakeLists.txt): with
// -ffast-math, glibc declares the vector variants of tanhf (libmvec), and the
// `omp simd` loops below call them four floats at a time; the scalar tanhf was 14-16 % of a
// 2-thread training step's CPU time (perf). libmvec's tanhf is within a few ulp of the
// scalar one, far inside the golden test's 1e-4 against PyTorch. Nothing else here relies on
// what -ffast-math changes (no infinities or NaNs tested, no sums reassociated).
#include <cmath>

#include "gpt/layers.hpp"

namespace orrery::gpt {

namespace {
constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2 / pi)
}

void gelu_forward(float* out, const float* inp, long N) {
#pragma omp parallel for simd schedule(static)
  for (long i = 0; i < N; ++i) {
    const float x = inp[i];
    out[i] = 0.5f * x * (1.0f + std::tanh(kGeluScale * (x + 0.044715f * x * x * x)));
  }
}

void gelu_backward(float* dinp, const float* inp, const float* dout, long N) {
#pragma omp parallel for simd schedule(static)
  for (long i = 0; i < N; ++i) {
    const float x = inp[i];
    const float u = kGeluScale * (x + 0.044715f * x * x * x);
    const float th = std::tanh(u);
    const float sech2 = 1.0f - th * th;
    const float local = 0.5f * (1.0f + th) + 0.5f * x * sech2 * kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
    dinp[i] += local * dout[i];
  }
}

}  // namespace orrery::gpt
