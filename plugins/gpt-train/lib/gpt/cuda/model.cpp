#include "gpt/cuda/model.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "gpt/cuda/cuda_check.hpp"
#include "gpt/cuda/layers.hpp"

namespace orrery::gpt::cuda {

namespace {

// Gpt's layout (gpt/model.hpp): wte, wpe, then kPerLayer tensors a layer in this order, then
// ln_f. The constructor checks the CPU model's names against it, so the two cannot drift apart.
enum CudaLayerTensor : std::size_t {
  kCudaLn1W, kCudaLn1B, kCudaQkvW, kCudaQkvB, kCudaAttProjW, kCudaAttProjB, kCudaLn2W, kCudaLn2B, kCudaFcW, kCudaFcB,
  kCudaFcProjW, kCudaFcProjB, kCudaPerLayer
};
constexpr std::size_t kCudaWte = 0, kCudaWpe = 1, kCudaFirstLayer = 2;
constexpr const char* kCudaLayerNames[kCudaPerLayer] = {
    "ln_1.weight",      "ln_1.bias",        "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight",      "ln_2.bias",
    "mlp.c_fc.weight",  "mlp.c_fc.bias",    "mlp.c_proj.weight", "mlp.c_proj.bias"};

void check_layout(const std::vector<TensorInfo>& tensors, int layers) {
  std::vector<std::string> expected{"wte.weight", "wpe.weight"};
  for (int l = 0; l < layers; ++l)
    for (const char* name : kCudaLayerNames) expected.push_back("h." + std::to_string(l) + "." + name);
  expected.push_back("ln_f.weight");
  expected.push_back("ln_f.bias");
  if (tensors.size() != expected.size())
    throw std::logic_error("GptCuda: the CPU model has " + std::to_string(tensors.size()) +
                           " tensors, the GPU layout " + std::to_string(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (tensors[i].name != expected[i])
      throw std::logic_error("GptCuda: tensor " + std::to_string(i) + " is " + tensors[i].name +
                             ", the GPU layout has " + expected[i]);
}

void zero_floats(DeviceBuffer<float>& buffer, long n) {
  check_cuda(cudaMemset(buffer.data(), 0, static_cast<std::size_t>(n) * sizeof(float)), "cudaMemset");
}

}  // namespace

GptCuda::GptCuda(const Gpt& cpu, MatmulPrecision precision)
    : cfg_(cpu.config()),
      tensors_(cpu.tensors()),
      cublas_(precision),
      params_(std::span<const float>(cpu.params())),
      grads_(cpu.params().size()) {
  check_layout(tensors_, cfg_.layers);
  grads_.zero();
}

void GptCuda::synchronize() const { check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

void GptCuda::reserve(int B, int T) {
  auto& a = acts_;
  if (B <= a.B && T <= a.T) return;
  a.B = std::max(B, a.B);
  a.T = std::max(T, a.T);
  const auto L = static_cast<std::size_t>(cfg_.layers), C = static_cast<std::size_t>(cfg_.channels),
             NH = static_cast<std::size_t>(cfg_.heads), V = static_cast<std::size_t>(cfg_.vocab);
  const std::size_t BT = static_cast<std::size_t>(a.B) * static_cast<std::size_t>(a.T);
  const std::size_t att =
      static_cast<std::size_t>(a.B) * NH * static_cast<std::size_t>(a.T) * static_cast<std::size_t>(a.T);
  using Floats = DeviceBuffer<float>;
  a.encoded = Floats(BT * C);
  for (auto* v : {&a.ln1, &a.atty, &a.attproj, &a.residual2, &a.ln2, &a.fcproj, &a.residual3}) *v = Floats(L * BT * C);
  for (auto* v : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) *v = Floats(L * BT);
  a.qkv = Floats(L * BT * 3 * C);
  a.preatt = Floats(L * att);
  a.att = Floats(L * att);
  a.fch = Floats(L * BT * 4 * C);
  a.fch_gelu = Floats(L * BT * 4 * C);
  a.lnf = Floats(BT * C);
  a.lnf_mean = Floats(BT);
  a.lnf_rstd = Floats(BT);
  a.logits = Floats(BT * V);
  a.probs = Floats(BT * V);
  a.losses = Floats(BT);
  a.tokens = DeviceBuffer<int>(BT);
  a.targets = DeviceBuffer<int>(BT);
  auto& s = scratch_;
  for (auto* v : {&s.dresidual, &s.dln, &s.datty, &s.dlnf}) *v = Floats(BT * C);
  s.dqkv = Floats(BT * 3 * C);
  s.dpreatt = Floats(att);
  s.datt = Floats(att);
  s.dfch = Floats(BT * 4 * C);
  s.dfch_gelu = Floats(BT * 4 * C);
  s.dlogits = Floats(BT * V);
}

float GptCuda::forward(const int* tokens, const int* targets, int B, int T) {
  if (T < 1 || T > cfg_.context) throw std::invalid_argument("sequence length must be 1 .. context");
  if (B < 1) throw std::invalid_argument("batch must be at least 1");
  const int C = cfg_.channels, NH = cfg_.heads, V = cfg_.vocab, BT = B * T;
  for (int i = 0; i < BT; ++i)
    if (tokens[i] < 0 || tokens[i] >= V) throw std::invalid_argument("token id out of the vocabulary");
  if (targets)
    for (int i = 0; i < BT; ++i)
      if (targets[i] < 0 || targets[i] >= V) throw std::invalid_argument("target id out of the vocabulary");
  reserve(B, T);
  auto& a = acts_;
  fwd_B_ = B;
  fwd_T_ = T;
  const long btc = static_cast<long>(BT) * C, att = static_cast<long>(B) * NH * T * T;
  check_cuda(cudaMemcpy(a.tokens.data(), tokens, static_cast<std::size_t>(BT) * sizeof(int), cudaMemcpyHostToDevice),
             "upload tokens");

  embedding_forward(a.encoded.data(), a.tokens.data(), p(kCudaWte), p(kCudaWpe), B, T, C);  // (B,T,C)
  const float* residual = a.encoded.data();
  for (int l = 0; l < cfg_.layers; ++l) {
    const std::size_t base = kCudaFirstLayer + static_cast<std::size_t>(l) * kCudaPerLayer;
    float* ln1 = a.ln1.data() + l * btc;                // (B,T,C)
    float* ln1_mean = a.ln1_mean.data() + l * BT;       // (B,T)
    float* ln1_rstd = a.ln1_rstd.data() + l * BT;       // (B,T)
    float* qkv = a.qkv.data() + l * btc * 3;            // (B,T,3C)
    float* atty = a.atty.data() + l * btc;              // (B,T,C)
    float* preatt = a.preatt.data() + l * att;          // (B,NH,T,T)
    float* attw = a.att.data() + l * att;               // (B,NH,T,T)
    float* attproj = a.attproj.data() + l * btc;        // (B,T,C)
    float* residual2 = a.residual2.data() + l * btc;    // (B,T,C)
    float* ln2 = a.ln2.data() + l * btc;                // (B,T,C)
    float* ln2_mean = a.ln2_mean.data() + l * BT;       // (B,T)
    float* ln2_rstd = a.ln2_rstd.data() + l * BT;       // (B,T)
    float* fch = a.fch.data() + l * btc * 4;            // (B,T,4C)
    float* fch_gelu = a.fch_gelu.data() + l * btc * 4;  // (B,T,4C)
    float* fcproj = a.fcproj.data() + l * btc;          // (B,T,C)
    float* residual3 = a.residual3.data() + l * btc;    // (B,T,C)

    layernorm_forward(ln1, ln1_mean, ln1_rstd, residual, p(base + kCudaLn1W), p(base + kCudaLn1B), BT, C);
    matmul_forward(cublas_, qkv, ln1, p(base + kCudaQkvW), p(base + kCudaQkvB), BT, C, 3 * C);
    attention_forward(cublas_, atty, preatt, attw, qkv, B, T, C, NH);
    matmul_forward(cublas_, attproj, atty, p(base + kCudaAttProjW), p(base + kCudaAttProjB), BT, C, C);
    residual_forward(residual2, residual, attproj, btc);
    layernorm_forward(ln2, ln2_mean, ln2_rstd, residual2, p(base + kCudaLn2W), p(base + kCudaLn2B), BT, C);
    matmul_forward(cublas_, fch, ln2, p(base + kCudaFcW), p(base + kCudaFcB), BT, C, 4 * C);
    gelu_forward(fch_gelu, fch, btc * 4);
    matmul_forward(cublas_, fcproj, fch_gelu, p(base + kCudaFcProjW), p(base + kCudaFcProjB), BT, 4 * C, C);
    residual_forward(residual3, residual2, fcproj, btc);
    residual = residual3;
  }
  const std::size_t lnf = kCudaFirstLayer + static_cast<std::size_t>(cfg_.layers) * kCudaPerLayer;
  layernorm_forward(a.lnf.data(), a.lnf_mean.data(), a.lnf_rstd.data(), residual, p(lnf), p(lnf + 1), BT, C);
  matmul_forward(cublas_, a.logits.data(), a.lnf.data(), p(kCudaWte), nullptr, BT, C, V);  // (B,T,V), tied head
  if (!targets) return 0.0f;
  check_cuda(cudaMemcpy(a.targets.data(), targets, static_cast<std::size_t>(BT) * sizeof(int), cudaMemcpyHostToDevice),
             "upload targets");
  softmax_crossentropy_forward(a.probs.data(), a.losses.data(), a.logits.data(), a.targets.data(), BT, V);
  // The mean in double and in position order, as the CPU model takes it.
  std::vector<float> losses(static_cast<std::size_t>(BT));
  check_cuda(cudaMemcpy(losses.data(), a.losses.data(), losses.size() * sizeof(float), cudaMemcpyDeviceToHost),
             "download losses");
  double sum = 0;
  for (float x : losses) sum += x;
  return static_cast<float>(sum / BT);
}

std::vector<float> GptCuda::download_logits() const {
  std::vector<float> logits(static_cast<std::size_t>(fwd_B_) * fwd_T_ * cfg_.vocab);
  check_cuda(cudaMemcpy(logits.data(), acts_.logits.data(), logits.size() * sizeof(float), cudaMemcpyDeviceToHost),
             "download logits");
  return logits;
}

void GptCuda::backward_to_host(float loss_scale, std::span<float> host, const GradientsReady& ready) {
  auto& a = acts_;
  auto& s = scratch_;
  const int B = fwd_B_, T = fwd_T_, C = cfg_.channels, NH = cfg_.heads, V = cfg_.vocab, BT = B * T;
  if (BT == 0) throw std::logic_error("GptCuda::backward before forward");
  if (!host.empty() && host.size() != grads_.size())
    throw std::invalid_argument("GptCuda::backward_to_host: " + std::to_string(host.size()) + " host gradients for " +
                                std::to_string(grads_.size()) + " parameters");
  const long btc = static_cast<long>(BT) * C, att = static_cast<long>(B) * NH * T * T;
  // Tensors [first, end) are final: their flat range (contiguous, in layout order) to the host
  // (the copy waits for the kernels queued before it), then to ready.
  auto done = [&](std::size_t first, std::size_t end) {
    if (!host.empty()) {
      const std::size_t from = tensors_[first].offset, to = tensors_[end - 1].offset + tensors_[end - 1].size;
      check_cuda(cudaMemcpy(host.data() + from, grads_.data() + from, (to - from) * sizeof(float),
                            cudaMemcpyDeviceToHost),
                 "download gradients");
    }
    if (ready) ready(first, end);
  };

  softmax_crossentropy_backward(s.dlogits.data(), a.probs.data(), a.targets.data(), BT, V, loss_scale);  // (B,T,V)
  zero_floats(s.dlnf, btc);
  matmul_backward(cublas_, s.dlnf.data(), g(kCudaWte), nullptr, s.dlogits.data(), a.lnf.data(), p(kCudaWte), BT, C, V);
  const std::size_t lnf = kCudaFirstLayer + static_cast<std::size_t>(cfg_.layers) * kCudaPerLayer;
  const float* last_residual = a.residual3.data() + (cfg_.layers - 1) * btc;
  zero_floats(s.dresidual, btc);  // (B,T,C): the residual stream's gradient, carried down the layers
  layernorm_backward(s.dresidual.data(), g(lnf), g(lnf + 1), s.dlnf.data(), last_residual, p(lnf), a.lnf_mean.data(),
                     a.lnf_rstd.data(), BT, C);
  done(lnf, lnf + 2);

  for (int l = cfg_.layers - 1; l >= 0; --l) {
    const std::size_t base = kCudaFirstLayer + static_cast<std::size_t>(l) * kCudaPerLayer;
    const float* residual = l == 0 ? a.encoded.data() : a.residual3.data() + (l - 1) * btc;  // (B,T,C)
    const float* ln1 = a.ln1.data() + l * btc;
    const float* qkv = a.qkv.data() + l * btc * 3;
    const float* atty = a.atty.data() + l * btc;
    const float* attw = a.att.data() + l * att;
    const float* residual2 = a.residual2.data() + l * btc;
    const float* ln2 = a.ln2.data() + l * btc;
    const float* fch = a.fch.data() + l * btc * 4;
    const float* fch_gelu = a.fch_gelu.data() + l * btc * 4;

    // residual3 = residual2 + fcproj: both receive dresidual, which keeps flowing as residual2's.
    zero_floats(s.dfch_gelu, btc * 4);
    matmul_backward(cublas_, s.dfch_gelu.data(), g(base + kCudaFcProjW), g(base + kCudaFcProjB), s.dresidual.data(),
                    fch_gelu, p(base + kCudaFcProjW), BT, 4 * C, C);
    zero_floats(s.dfch, btc * 4);
    gelu_backward(s.dfch.data(), fch, s.dfch_gelu.data(), btc * 4);
    zero_floats(s.dln, btc);
    matmul_backward(cublas_, s.dln.data(), g(base + kCudaFcW), g(base + kCudaFcB), s.dfch.data(), ln2,
                    p(base + kCudaFcW), BT, C, 4 * C);
    layernorm_backward(s.dresidual.data(), g(base + kCudaLn2W), g(base + kCudaLn2B), s.dln.data(), residual2,
                       p(base + kCudaLn2W), a.ln2_mean.data() + l * BT, a.ln2_rstd.data() + l * BT, BT, C);
    // residual2 = residual + attproj: the same again for the attention branch.
    zero_floats(s.datty, btc);
    matmul_backward(cublas_, s.datty.data(), g(base + kCudaAttProjW), g(base + kCudaAttProjB), s.dresidual.data(), atty,
                    p(base + kCudaAttProjW), BT, C, C);
    zero_floats(s.dqkv, btc * 3);
    attention_backward(cublas_, s.dqkv.data(), s.dpreatt.data(), s.datt.data(), s.datty.data(), qkv, attw, B, T, C,
                       NH);
    zero_floats(s.dln, btc);
    matmul_backward(cublas_, s.dln.data(), g(base + kCudaQkvW), g(base + kCudaQkvB), s.dqkv.data(), ln1,
                    p(base + kCudaQkvW), BT, C, 3 * C);
    layernorm_backward(s.dresidual.data(), g(base + kCudaLn1W), g(base + kCudaLn1B), s.dln.data(), residual,
                       p(base + kCudaLn1W), a.ln1_mean.data() + l * BT, a.ln1_rstd.data() + l * BT, BT, C);
    done(base, base + kCudaPerLayer);
  }
  embedding_backward(g(kCudaWte), g(kCudaWpe), s.dresidual.data(), a.tokens.data(), B, T, C);
  done(kCudaWte, kCudaWpe + 1);
}

}  // namespace orrery::gpt::cuda
