// Each GPU kernel of gpt-train (plugins/gpt-train/lib/gpt/cuda) against its CPU twin
// (gpt/layers.hpp, gpt/adamw.hpp): the same random inputs (fixed seeds) at small shapes, the
// outputs compared within float reduction-order tolerance. Gradient buffers start non-zero
// on both sides, so a kernel that overwrites where its twin adds fails. Built only when nvcc
// exists; every test skips when no CUDA device can be used. The last test runs the whole model
// (gpt/cuda/model.hpp) against gpt::Gpt: loss, logits, every gradient and three AdamW steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpt/adamw.hpp"
#include "gpt/cuda/adamw.hpp"
#include "gpt/cuda/cublas_handle.hpp"
#include "gpt/cuda/cuda_device.hpp"
#include "gpt/cuda/device_buffer.hpp"
#include "gpt/cuda/device_optimizer.hpp"
#include "gpt/cuda/pinned_host.hpp"
#include "gpt/cuda/layers.hpp"
#include "gpt/cuda/model.hpp"
#include "gpt/layers.hpp"
#include "gpt/model.hpp"

namespace {

namespace cpu = orrery::gpt;
namespace gpu = orrery::gpt::cuda;
using Floats = std::vector<float>;
using Ints = std::vector<int>;
using gpu::DeviceBuffer;

// Small shapes: two batch rows, 8 positions, 16 channels in 4 heads of 4, a vocabulary of 40
// (not a multiple of the warp, so the row kernels' tails run).
constexpr int B = 2, T = 8, C = 16, NH = 4, V = 40, BT = B * T;

// |gpu - cpu| <= kAbs + kRel * |cpu|: the sums run in another order on the GPU (warp trees,
// cuBLAS tiling, atomics) than on the CPU; at these sizes float's rounding stays far below.
constexpr float kAbs = 1e-5f, kRel = 1e-4f;

Floats random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Floats out(n);
  for (float& x : out) x = dist(gen);
  return out;
}

Ints random_ints(std::size_t n, int bound, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, bound - 1);
  Ints out(n);
  for (int& x : out) x = dist(gen);
  return out;
}

DeviceBuffer<float> on_device(const Floats& host) { return DeviceBuffer<float>(std::span<const float>(host)); }
DeviceBuffer<int> on_device(const Ints& host) { return DeviceBuffer<int>(std::span<const int>(host)); }

// Fails with the count of values out of tolerance and the largest difference seen.
void expect_close(const Floats& gpu_out, const Floats& cpu_out, const std::string& what, float abs_tol = kAbs,
                  float rel_tol = kRel) {
  ASSERT_EQ(gpu_out.size(), cpu_out.size()) << what;
  float worst = 0;
  std::size_t worst_at = 0;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < cpu_out.size(); ++i) {
    const float diff = std::fabs(gpu_out[i] - cpu_out[i]);
    if (!(diff <= abs_tol + rel_tol * std::fabs(cpu_out[i]))) ++bad;
    if (!(diff <= worst)) {
      worst = diff;
      worst_at = i;
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << cpu_out.size() << " values differ; largest |gpu - cpu| "
                     << worst << " at " << worst_at << " (gpu " << gpu_out[worst_at] << ", cpu " << cpu_out[worst_at]
                     << ")";
}

class GptCudaKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    const gpu::CudaAvailability cuda = gpu::probe_cuda();
    if (cuda.devices == 0) GTEST_SKIP() << "no CUDA device: " << cuda.reason;
  }
};

TEST_F(GptCudaKernels, EmbeddingForwardAndBackward) {
  const Ints tokens = random_ints(BT, V, 1);
  const Floats wte = random_floats(V * C, 2), wpe = random_floats(T * C, 3), dout = random_floats(BT * C, 4);
  Floats out(BT * C), dwte = random_floats(V * C, 5), dwpe = random_floats(T * C, 6);
  auto d_tokens = on_device(tokens);
  auto d_wte = on_device(wte), d_wpe = on_device(wpe), d_dout = on_device(dout);
  auto d_out = on_device(out), d_dwte = on_device(dwte), d_dwpe = on_device(dwpe);

  cpu::embedding_forward(out.data(), tokens.data(), wte.data(), wpe.data(), B, T, C);
  gpu::embedding_forward(d_out.data(), d_tokens.data(), d_wte.data(), d_wpe.data(), B, T, C);
  expect_close(d_out.download(), out, "embedding out");

  cpu::embedding_backward(dwte.data(), dwpe.data(), dout.data(), tokens.data(), B, T, C);
  gpu::embedding_backward(d_dwte.data(), d_dwpe.data(), d_dout.data(), d_tokens.data(), B, T, C);
  expect_close(d_dwte.download(), dwte, "embedding dwte");
  expect_close(d_dwpe.download(), dwpe, "embedding dwpe");
}

void check_layernorm(int rows, int channels) {
  const std::string tag = "layernorm (C=" + std::to_string(channels) + ") ";
  // Offset and scaled inputs: the mean and variance matter.
  const Floats inp = random_floats(rows * channels, 10, -2.0f, 3.0f);
  const Floats w = random_floats(channels, 11), b = random_floats(channels, 12);
  const Floats dout = random_floats(rows * channels, 13);
  Floats out(rows * channels), mean(rows), rstd(rows);
  Floats dinp = random_floats(rows * channels, 14), dw = random_floats(channels, 15), db = random_floats(channels, 16);
  auto d_inp = on_device(inp), d_w = on_device(w), d_b = on_device(b), d_dout = on_device(dout);
  auto d_out = on_device(out), d_mean = on_device(mean), d_rstd = on_device(rstd);
  auto d_dinp = on_device(dinp), d_dw = on_device(dw), d_db = on_device(db);

  cpu::layernorm_forward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), rows, channels);
  gpu::layernorm_forward(d_out.data(), d_mean.data(), d_rstd.data(), d_inp.data(), d_w.data(), d_b.data(), rows,
                         channels);
  expect_close(d_out.download(), out, tag + "out");
  expect_close(d_mean.download(), mean, tag + "mean");
  expect_close(d_rstd.download(), rstd, tag + "rstd");

  // Backward from the CPU's saved statistics on both sides, so only backward is compared.
  d_mean.upload(mean);
  d_rstd.upload(rstd);
  cpu::layernorm_backward(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), mean.data(),
                          rstd.data(), rows, channels);
  gpu::layernorm_backward(d_dinp.data(), d_dw.data(), d_db.data(), d_dout.data(), d_inp.data(), d_w.data(),
                          d_mean.data(), d_rstd.data(), rows, channels);
  expect_close(d_dinp.download(), dinp, tag + "dinp");
  expect_close(d_dw.download(), dw, tag + "dw");
  expect_close(d_db.download(), db, tag + "db");
}

// C=16 leaves half of each warp idle; C=80 takes three turns of the warp with a tail.
TEST_F(GptCudaKernels, LayernormForwardAndBackward) {
  check_layernorm(BT, C);
  check_layernorm(5, 80);
}

// OC = 3C as for the qkv projection: M, N and K all differ, so a swapped dimension or
// transpose in the row-major wrapper gives wrong shapes, not just wrong values.
void check_matmul(bool with_bias) {
  constexpr int OC = 3 * C;
  const std::string tag = with_bias ? "matmul (bias) " : "matmul (no bias) ";
  const gpu::CublasHandle handle;
  const Floats inp = random_floats(BT * C, 20), w = random_floats(OC * C, 21), bias = random_floats(OC, 22);
  const Floats dout = random_floats(BT * OC, 23);
  Floats out = random_floats(BT * OC, 24);  // overwritten by forward
  Floats dinp = random_floats(BT * C, 25), dw = random_floats(OC * C, 26), dbias = random_floats(OC, 27);
  auto d_inp = on_device(inp), d_w = on_device(w), d_bias = on_device(bias), d_dout = on_device(dout);
  auto d_out = on_device(out), d_dinp = on_device(dinp), d_dw = on_device(dw), d_dbias = on_device(dbias);

  cpu::matmul_forward(out.data(), inp.data(), w.data(), with_bias ? bias.data() : nullptr, BT, C, OC);
  gpu::matmul_forward(handle, d_out.data(), d_inp.data(), d_w.data(), with_bias ? d_bias.data() : nullptr, BT, C, OC);
  expect_close(d_out.download(), out, tag + "out");

  cpu::matmul_backward(dinp.data(), dw.data(), with_bias ? dbias.data() : nullptr, dout.data(), inp.data(), w.data(),
                       BT, C, OC);
  gpu::matmul_backward(handle, d_dinp.data(), d_dw.data(), with_bias ? d_dbias.data() : nullptr, d_dout.data(),
                       d_inp.data(), d_w.data(), BT, C, OC);
  expect_close(d_dinp.download(), dinp, tag + "dinp");
  expect_close(d_dw.download(), dw, tag + "dw");
  expect_close(d_dbias.download(), dbias, tag + "dbias");
}

TEST_F(GptCudaKernels, MatmulForwardAndBackwardWithBias) { check_matmul(true); }
TEST_F(GptCudaKernels, MatmulForwardAndBackwardWithoutBias) { check_matmul(false); }

void check_attention(int batch, int time, int channels, int heads) {
  const std::string tag = "attention (T=" + std::to_string(time) + ") ";
  const int rows = batch * time;
  const gpu::CublasHandle handle;
  const long scores = static_cast<long>(batch) * heads * time * time;
  const Floats qkv = random_floats(rows * 3 * channels, 30, -2.0f, 2.0f), dout = random_floats(rows * channels, 31);
  Floats out(rows * channels), preatt(scores), att(scores);
  Floats dqkv = random_floats(rows * 3 * channels, 32), dpreatt(scores), datt(scores);
  auto d_qkv = on_device(qkv), d_dout = on_device(dout);
  auto d_out = on_device(out), d_preatt = on_device(preatt), d_att = on_device(att);
  auto d_dqkv = on_device(dqkv), d_dpreatt = on_device(dpreatt), d_datt = on_device(datt);

  cpu::attention_forward(out.data(), preatt.data(), att.data(), qkv.data(), batch, time, channels, heads);
  gpu::attention_forward(handle, d_out.data(), d_preatt.data(), d_att.data(), d_qkv.data(), batch, time, channels,
                         heads);
  expect_close(d_preatt.download(), preatt, tag + "preatt");
  expect_close(d_att.download(), att, tag + "att");
  expect_close(d_out.download(), out, tag + "out");

  d_att.upload(att);
  cpu::attention_backward(dqkv.data(), dpreatt.data(), datt.data(), dout.data(), qkv.data(), att.data(), batch, time,
                          channels, heads);
  gpu::attention_backward(handle, d_dqkv.data(), d_dpreatt.data(), d_datt.data(), d_dout.data(), d_qkv.data(),
                          d_att.data(), batch, time, channels, heads);
  expect_close(d_datt.download(), datt, tag + "datt");
  expect_close(d_dpreatt.download(), dpreatt, tag + "dpreatt");
  expect_close(d_dqkv.download(), dqkv, tag + "dqkv");
}

// T=8: score rows shorter than a warp; T=40: rows past a warp's width, masked tails included.
TEST_F(GptCudaKernels, AttentionForwardAndBackward) {
  check_attention(B, T, C, NH);
  check_attention(1, 40, 8, 2);
}

TEST_F(GptCudaKernels, GeluForwardAndBackward) {
  constexpr long N = BT * 4 * C;
  const Floats inp = random_floats(N, 40, -4.0f, 4.0f), dout = random_floats(N, 41);
  Floats out(N), dinp = random_floats(N, 42);
  auto d_inp = on_device(inp), d_dout = on_device(dout), d_out = on_device(out), d_dinp = on_device(dinp);

  cpu::gelu_forward(out.data(), inp.data(), N);
  gpu::gelu_forward(d_out.data(), d_inp.data(), N);
  expect_close(d_out.download(), out, "gelu out");

  cpu::gelu_backward(dinp.data(), inp.data(), dout.data(), N);
  gpu::gelu_backward(d_dinp.data(), d_inp.data(), d_dout.data(), N);
  expect_close(d_dinp.download(), dinp, "gelu dinp");
}

TEST_F(GptCudaKernels, ResidualForward) {
  constexpr long N = BT * C + 3;  // not a multiple of the block
  const Floats a = random_floats(N, 50), b = random_floats(N, 51);
  Floats out(N);
  auto d_a = on_device(a), d_b = on_device(b), d_out = on_device(out);
  cpu::residual_forward(out.data(), a.data(), b.data(), N);
  gpu::residual_forward(d_out.data(), d_a.data(), d_b.data(), N);
  expect_close(d_out.download(), out, "residual out");
}

TEST_F(GptCudaKernels, SoftmaxCrossEntropyForwardAndBackward) {
  const Floats logits = random_floats(BT * V, 60, -6.0f, 6.0f);
  const Ints targets = random_ints(BT, V, 61);
  const float scale = 1.0f / BT;
  Floats probs(BT * V), losses(BT), dlogits = random_floats(BT * V, 62);  // dlogits is overwritten
  auto d_logits = on_device(logits), d_probs = on_device(probs), d_losses = on_device(losses);
  auto d_dlogits = on_device(dlogits);
  auto d_targets = on_device(targets);

  cpu::softmax_crossentropy_forward(probs.data(), losses.data(), logits.data(), targets.data(), BT, V);
  gpu::softmax_crossentropy_forward(d_probs.data(), d_losses.data(), d_logits.data(), d_targets.data(), BT, V);
  expect_close(d_probs.download(), probs, "crossentropy probs");
  expect_close(d_losses.download(), losses, "crossentropy losses");

  d_probs.upload(probs);
  cpu::softmax_crossentropy_backward(dlogits.data(), probs.data(), targets.data(), BT, V, scale);
  gpu::softmax_crossentropy_backward(d_dlogits.data(), d_probs.data(), d_targets.data(), BT, V, scale);
  expect_close(d_dlogits.download(), dlogits, "crossentropy dlogits");
}

TEST_F(GptCudaKernels, AdamWThreeSteps) {
  // A decayed matrix, an undecayed bias and an empty tensor between them.
  std::vector<cpu::TensorInfo> tensors(3);
  tensors[0] = {"w", {8, 16}, 0, 128, true};
  tensors[1] = {"empty", {0}, 128, 0, false};
  tensors[2] = {"b", {16}, 128, 16, false};
  constexpr std::size_t n = 144;
  const cpu::AdamWConfig cfg{};
  cpu::AdamW cpu_opt(cfg, n);
  Floats params = random_floats(n, 70);
  auto d_params = on_device(params);
  DeviceBuffer<float> d_m(n), d_v(n);
  d_m.zero();
  d_v.zero();
  for (std::uint32_t step = 0; step < 3; ++step) {
    const Floats grads = random_floats(n, 71 + step);
    const float lr = 1e-2f * static_cast<float>(step + 1);
    auto d_grads = on_device(grads);
    cpu_opt.step(tensors, params, grads, lr);
    gpu::adamw_step(tensors, cfg, d_params.data(), d_grads.data(), d_m.data(), d_v.data(), cpu_opt.t(), lr);
  }
  expect_close(d_params.download(), params, "adamw params");
  expect_close(d_m.download(), cpu_opt.m(), "adamw m");
  expect_close(d_v.download(), cpu_opt.v(), "adamw v");
}

// The wrapper's transposes in isolation: a non-square product checked against the
// definition computed here, for every combination of transpose flags.
TEST_F(GptCudaKernels, RowMajorSgemmAllTransposes) {
  const gpu::CublasHandle handle;
  constexpr int M = 5, N = 7, K = 3;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const Floats a = random_floats(M * K, 80), b = random_floats(K * N, 81), c0 = random_floats(M * N, 82);
      // op(A)(i,k) is a[i*K+k] untransposed (lda K) or a[k*M+i] transposed (lda M); same for B.
      const int lda = ta ? M : K, ldb = tb ? K : N;
      Floats expected = c0;
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
          float acc = 0;
          for (int k = 0; k < K; ++k)
            acc += (ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
          expected[i * N + j] = 0.5f * acc + 2.0f * c0[i * N + j];
        }
      auto d_a = on_device(a), d_b = on_device(b), d_c = on_device(c0);
      gpu::row_major_sgemm(handle, ta, tb, M, N, K, 0.5f, d_a.data(), lda, d_b.data(), ldb, 2.0f, d_c.data(), N);
      expect_close(d_c.download(), expected, std::string("sgemm ta=") + (ta ? "T" : "N") + " tb=" + (tb ? "T" : "N"));
    }
}

// precision=bf16's products: the same fp32 arrays in and out, the operands rounded to bf16
// inside cuBLAS. Each value must lie within bf16's rounding of the exact product (2^-8 of
// sum |a||b|, with room for truncation as well as round-to-nearest), and the values must not
// be the fp32 handle's (the compute type reached cuBLAS), for the plain and the batched call.
TEST_F(GptCudaKernels, Bf16ProductsWithinBf16RoundingAndNotFp32) {
  const gpu::CublasHandle fp32, bf16(gpu::MatmulPrecision::bf16);
  constexpr int M = 16, N = 24, K = 64, batch = 2;
  const Floats a = random_floats(batch * M * K, 83), b = random_floats(batch * K * N, 84);
  auto d_a = on_device(a), d_b = on_device(b);
  DeviceBuffer<float> d_single(M * N), d_batched(batch * M * N), d_fp32(M * N);
  gpu::row_major_sgemm(bf16, false, false, M, N, K, 1.0f, d_a.data(), K, d_b.data(), N, 0.0f, d_single.data(), N);
  gpu::row_major_sgemm_batched(bf16, false, false, M, N, K, 1.0f, d_a.data(), K, M * K, d_b.data(), N, K * N, 0.0f,
                               d_batched.data(), N, M * N, batch);
  gpu::row_major_sgemm(fp32, false, false, M, N, K, 1.0f, d_a.data(), K, d_b.data(), N, 0.0f, d_fp32.data(), N);
  const Floats single = d_single.download(), batched = d_batched.download(), plain = d_fp32.download();
  std::size_t bad = 0, differs_from_fp32 = 0;
  for (int z = 0; z < batch; ++z)
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double exact = 0, magnitude = 0;
        for (int k = 0; k < K; ++k) {
          const double p = static_cast<double>(a[(z * M + i) * K + k]) * b[(z * K + k) * N + j];
          exact += p;
          magnitude += std::fabs(p);
        }
        const double bound = magnitude / 128.0 + 1e-6;
        const std::size_t at = static_cast<std::size_t>((z * M + i) * N + j);
        if (!(std::fabs(batched[at] - exact) <= bound)) ++bad;
        if (z == 0) {
          if (!(std::fabs(single[at] - exact) <= bound)) ++bad;
          if (single[at] != plain[at]) ++differs_from_fp32;
        }
      }
  EXPECT_EQ(bad, 0u) << "bf16 products outside bf16 rounding of the exact product";
  EXPECT_GT(differs_from_fp32, static_cast<std::size_t>(M * N / 2)) << "the bf16 handle computed fp32 products";
}

// Two layers at the shapes above: a CPU model with weights drawn wide enough that the
// gradients are far from 0, its GPU copy, and a batch (all from seed, seed + 1, seed + 2).
struct TwoLayerModels {
  explicit TwoLayerModels(std::uint32_t seed)
      : cpu(cpu::ModelConfig{V, T, 2, NH, C}),
        gpu(with_random_weights(cpu, seed)),
        tokens(random_ints(BT, V, seed + 1)),
        targets(random_ints(BT, V, seed + 2)) {}
  // The GPU model copies the weights when it is made: they are drawn first.
  static const cpu::Gpt& with_random_weights(cpu::Gpt& model, std::uint32_t seed) {
    model.params() = random_floats(model.params().size(), seed, -0.3f, 0.3f);
    return model;
  }
  cpu::Gpt cpu;
  gpu::GptCuda gpu;
  Ints tokens, targets;
};

// The whole model: two layers at the shapes above, weights drawn wide enough that the
// gradients are far from 0, then three AdamW steps on each side. Errors compound through the
// layers, so each tensor's gradient is compared against 1e-4 of its largest magnitude.
TEST_F(GptCudaKernels, ModelForwardBackwardAndThreeStepsMatchTheCpuModel) {
  TwoLayerModels models(90);
  cpu::Gpt& cpu_model = models.cpu;
  gpu::GptCuda& gpu_model = models.gpu;
  const Ints &tokens = models.tokens, &targets = models.targets;
  const float scale = 1.0f / BT;

  const float cpu_loss = cpu_model.forward(tokens.data(), targets.data(), B, T);
  const float gpu_loss = gpu_model.forward(tokens.data(), targets.data(), B, T);
  EXPECT_NEAR(gpu_loss, cpu_loss, 1e-4f * std::fabs(cpu_loss)) << "loss";
  expect_close(gpu_model.download_logits(),
               Floats(cpu_model.logits(), cpu_model.logits() + static_cast<std::size_t>(BT) * V), "model logits", 1e-4f,
               1e-4f);

  cpu_model.zero_grad();
  cpu_model.backward(scale);
  gpu_model.zero_grad();
  gpu_model.backward(scale);
  const Floats gpu_grads = gpu_model.download_grads();
  for (const auto& t : cpu_model.tensors()) {
    const auto first = cpu_model.grads().begin() + static_cast<long>(t.offset);
    const Floats cpu_t(first, first + static_cast<long>(t.size));
    const Floats gpu_t(gpu_grads.begin() + static_cast<long>(t.offset),
                       gpu_grads.begin() + static_cast<long>(t.offset + t.size));
    float largest = 0;
    for (float x : cpu_t) largest = std::max(largest, std::fabs(x));
    ASSERT_GT(largest, 1e-5f) << t.name << ": a gradient this small would make the comparison empty";
    expect_close(gpu_t, cpu_t, "model gradient " + t.name, 1e-4f * largest, 1e-4f);
  }

  // Three training steps from here: the losses after each stay together.
  const cpu::AdamWConfig adamw{};
  cpu::AdamW cpu_opt(adamw, cpu_model.params().size());
  DeviceBuffer<float> d_m(cpu_model.params().size()), d_v(cpu_model.params().size());
  d_m.zero();
  d_v.zero();
  for (int step = 0; step < 3; ++step) {
    const float lr = 1e-3f;
    cpu_opt.step(cpu_model.tensors(), cpu_model.params(), cpu_model.grads(), lr);
    gpu::adamw_step(gpu_model.tensors(), adamw, gpu_model.params(), gpu_model.grads(), d_m.data(), d_v.data(),
                    cpu_opt.t(), lr);
    const float cpu_step_loss = cpu_model.forward(tokens.data(), targets.data(), B, T);
    const float gpu_step_loss = gpu_model.forward(tokens.data(), targets.data(), B, T);
    EXPECT_NEAR(gpu_step_loss, cpu_step_loss, 1e-4f * std::fabs(cpu_step_loss)) << "loss after step " << step + 1;
    cpu_model.zero_grad();
    cpu_model.backward(scale);
    gpu_model.zero_grad();
    gpu_model.backward(scale);
  }
  // The parameters themselves are not compared: AdamW divides by sqrt(v), so a gradient within
  // float noise of 0 may move its parameter by +-lr on one side and -+lr on the other; the
  // update itself is compared in AdamWThreeSteps, its effect on the loss above.
}

// What the trainer's GPU path uses: backward_to_host reports the CPU model's groups in the
// CPU model's order, each already copied into the host array, and the host array ends equal
// to the device's gradients.
TEST_F(GptCudaKernels, BackwardToHostReportsTheCpuGroupsWithTheirGradientsCopied) {
  TwoLayerModels models(93);
  cpu::Gpt& cpu_model = models.cpu;
  gpu::GptCuda& gpu_model = models.gpu;
  const Ints &tokens = models.tokens, &targets = models.targets;
  using Groups = std::vector<std::pair<std::size_t, std::size_t>>;
  Groups cpu_groups, gpu_groups;
  cpu_model.forward(tokens.data(), targets.data(), B, T);
  cpu_model.zero_grad();
  cpu_model.backward(1.0f / BT, [&](std::size_t first, std::size_t end) { cpu_groups.emplace_back(first, end); });

  gpu_model.forward(tokens.data(), targets.data(), B, T);
  gpu_model.zero_grad();
  Floats host(cpu_model.params().size(), std::nanf(""));
  std::size_t copied_before_report = 0;
  gpu_model.backward_to_host(1.0f / BT, host, [&](std::size_t first, std::size_t end) {
    gpu_groups.emplace_back(first, end);
    const auto& ts = gpu_model.tensors();
    for (std::size_t i = ts[first].offset; i < ts[end - 1].offset + ts[end - 1].size; ++i)
      if (!std::isnan(host[i])) ++copied_before_report;
  });
  EXPECT_EQ(gpu_groups, cpu_groups);
  EXPECT_EQ(copied_before_report, host.size());
  EXPECT_EQ(host, gpu_model.download_grads());
}

// What a one-rank run steps with: DeviceAdamW on the GPU model's own gradients against the
// host's gradient_norm, clip_gradients and AdamW::step on the same gradients (copied to the
// host), three steps from moments that are not zero (a resumed optimizer), one clipped and
// one not. The norm, the parameters and, after download(), the moments and the update count
// agree; the host optimizer it was made from is not touched until then.
TEST_F(GptCudaKernels, DeviceAdamWMatchesTheHostNormClipAndUpdate) {
  TwoLayerModels models(95);
  cpu::Gpt& cpu_model = models.cpu;
  gpu::GptCuda& gpu_model = models.gpu;
  const std::size_t n = cpu_model.params().size();
  cpu::AdamW host_opt(cpu::AdamWConfig{0.9f, 0.95f, 1e-8f, 0.1f}, n);
  host_opt.m() = random_floats(n, 96, -1e-3f, 1e-3f);
  host_opt.v() = random_floats(n, 97, 0.0f, 1e-5f);
  host_opt.set_t(4);
  gpu::DeviceAdamW device_opt(host_opt);
  const Floats m_before = host_opt.m();
  for (int step = 0; step < 3; ++step) {
    gpu_model.zero_grad();
    gpu_model.forward(models.tokens.data(), models.targets.data(), B, T);
    gpu_model.backward(1.0f / BT);
    cpu_model.grads() = gpu_model.download_grads();  // the same gradients on both sides
    const double norm = cpu::gradient_norm(cpu_model.grads());
    ASSERT_GT(norm, 1e-3) << "gradients this small would make the comparison empty";
    const double max_norm = step == 1 ? 10 * norm : 0.5 * norm;  // clipped, not clipped, clipped
    const float lr = 1e-3f * static_cast<float>(step + 1);
    cpu::clip_gradients(cpu_model.grads(), norm, max_norm);
    host_opt.step(cpu_model.tensors(), cpu_model.params(), cpu_model.grads(), lr);
    const double device_norm = device_opt.step(gpu_model, lr, max_norm);
    EXPECT_NEAR(device_norm, norm, 1e-9 * norm) << "norm at step " << step;
    expect_close(gpu_model.download_grads(), cpu_model.grads(), "clipped gradients at step " + std::to_string(step));
    expect_close(gpu_model.download_params(), cpu_model.params(), "parameters at step " + std::to_string(step));
  }
  EXPECT_EQ(device_opt.t(), 7);
  cpu::AdamW downloaded(cpu::AdamWConfig{}, n);
  device_opt.download(downloaded);
  EXPECT_EQ(downloaded.t(), 7);
  expect_close(downloaded.m(), host_opt.m(), "moment m");
  expect_close(downloaded.v(), host_opt.v(), "moment v");
  EXPECT_NE(downloaded.m(), m_before);

  cpu::AdamW slice(cpu::AdamWConfig{}, cpu::ShardRange{n / 2, n - n / 2});
  EXPECT_THROW(gpu::DeviceAdamW{slice}, std::invalid_argument);
}

// A multi-rank GPU run's host arrays: page-locked while the range lives (the runtime reports
// them as registered host memory), copied to and from exactly, and released after.
TEST_F(GptCudaKernels, PinnedHostRangeRegistersCopiesAndReleases) {
  const Floats values = random_floats(1 << 18, 98);
  Floats host(values.size(), 0.0f);
  const auto type_of = [](const void* p) {
    cudaPointerAttributes a{};
    EXPECT_EQ(cudaPointerGetAttributes(&a, p), cudaSuccess);
    return a.type;
  };
  {
    const gpu::PinnedHostRange pin(host.data(), host.size() * sizeof(float));
    ASSERT_TRUE(pin.pinned()) << pin.why_not();
    EXPECT_EQ(type_of(host.data()), cudaMemoryTypeHost);
    const DeviceBuffer<float> d{std::span<const float>(values)};
    d.download(host);
    EXPECT_EQ(host, values);
  }
  EXPECT_EQ(type_of(host.data()), cudaMemoryTypeUnregistered);
}

}  // namespace
