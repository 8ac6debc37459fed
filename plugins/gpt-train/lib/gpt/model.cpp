#include "gpt/model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gpt/layers.hpp"
#include "gpt/rng.hpp"

namespace orrery::gpt {

namespace {

// Offsets of a layer's tensors after wte and wpe.
enum LayerTensor : std::size_t {
  kLn1W, kLn1B, kQkvW, kQkvB, kAttProjW, kAttProjB, kLn2W, kLn2B, kFcW, kFcB, kFcProjW, kFcProjB, kPerLayer
};
constexpr std::size_t kWte = 0, kWpe = 1, kFirstLayer = 2;

}  // namespace

Gpt::Gpt(const ModelConfig& config) : cfg_(config) {
  cfg_.validate();
  const std::int64_t V = cfg_.vocab, T = cfg_.context, C = cfg_.channels;
  std::size_t offset = 0;
  auto add = [&](std::string name, std::vector<std::int64_t> shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    const bool decayed = shape.size() >= 2;
    tensors_.push_back({std::move(name), std::move(shape), offset, n, decayed});
    offset += n;
  };
  add("wte.weight", {V, C});
  add("wpe.weight", {T, C});
  for (int l = 0; l < cfg_.layers; ++l) {
    const std::string h = "h." + std::to_string(l) + ".";
    add(h + "ln_1.weight", {C});
    add(h + "ln_1.bias", {C});
    add(h + "attn.c_attn.weight", {3 * C, C});
    add(h + "attn.c_attn.bias", {3 * C});
    add(h + "attn.c_proj.weight", {C, C});
    add(h + "attn.c_proj.bias", {C});
    add(h + "ln_2.weight", {C});
    add(h + "ln_2.bias", {C});
    add(h + "mlp.c_fc.weight", {4 * C, C});
    add(h + "mlp.c_fc.bias", {4 * C});
    add(h + "mlp.c_proj.weight", {C, 4 * C});
    add(h + "mlp.c_proj.bias", {C});
  }
  add("ln_f.weight", {C});
  add("ln_f.bias", {C});
  params_.assign(offset, 0.0f);
  grads_.assign(offset, 0.0f);
}

void Gpt::init_weights(std::uint64_t seed) {
  Rng rng(seed);
  const float proj_std = 0.02f / std::sqrt(2.0f * static_cast<float>(cfg_.layers));
  for (const auto& t : tensors_) {
    float* w = params_.data() + t.offset;
    const bool is_norm = t.name.find("ln_") != std::string::npos;
    const bool is_bias = t.name.ends_with(".bias");
    if (is_norm && !is_bias) {
      std::fill(w, w + t.size, 1.0f);
    } else if (is_bias) {
      std::fill(w, w + t.size, 0.0f);
    } else {
      const float sd = t.name.ends_with("c_proj.weight") ? proj_std : 0.02f;
      for (std::size_t i = 0; i < t.size; ++i) w[i] = sd * rng.normal();
    }
  }
}

void Gpt::reserve(int B, int T) {
  auto& a = acts_;
  if (B <= a.B && T <= a.T && static_cast<long>(B) * T <= static_cast<long>(a.B) * a.T) return;
  a.B = std::max(B, a.B);
  a.T = std::max(T, a.T);
  const auto L = static_cast<std::size_t>(cfg_.layers), C = static_cast<std::size_t>(cfg_.channels),
             NH = static_cast<std::size_t>(cfg_.heads), V = static_cast<std::size_t>(cfg_.vocab);
  const std::size_t BT = static_cast<std::size_t>(a.B) * static_cast<std::size_t>(a.T);
  const std::size_t att = static_cast<std::size_t>(a.B) * NH * static_cast<std::size_t>(a.T) * static_cast<std::size_t>(a.T);
  a.encoded.assign(BT * C, 0);
  for (auto* v : {&a.ln1, &a.atty, &a.attproj, &a.residual2, &a.ln2, &a.fcproj, &a.residual3}) v->assign(L * BT * C, 0);
  for (auto* v : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) v->assign(L * BT, 0);
  a.qkv.assign(L * BT * 3 * C, 0);
  a.preatt.assign(L * att, 0);
  a.att.assign(L * att, 0);
  a.fch.assign(L * BT * 4 * C, 0);
  a.fch_gelu.assign(L * BT * 4 * C, 0);
  a.lnf.assign(BT * C, 0);
  a.lnf_mean.assign(BT, 0);
  a.lnf_rstd.assign(BT, 0);
  a.logits.assign(BT * V, 0);
  a.probs.assign(BT * V, 0);
  a.losses.assign(BT, 0);
  a.tokens.assign(BT, 0);
  a.targets.assign(BT, 0);
  auto& s = scratch_;
  for (auto* v : {&s.dresidual, &s.dln, &s.datty, &s.dlnf}) v->assign(BT * C, 0);
  s.dqkv.assign(BT * 3 * C, 0);
  s.dpreatt.assign(att, 0);
  s.datt.assign(att, 0);
  s.dfch.assign(BT * 4 * C, 0);
  s.dfch_gelu.assign(BT * 4 * C, 0);
  s.dlogits.assign(BT * V, 0);
}

float Gpt::forward(const int* tokens, const int* targets, int B, int T) {
  if (T < 1 || T > cfg_.context) throw std::invalid_argument("sequence length must be 1 .. context");
  reserve(B, T);
  auto& a = acts_;
  fwd_B_ = B;
  fwd_T_ = T;
  const int C = cfg_.channels, NH = cfg_.heads, V = cfg_.vocab, BT = B * T;
  const long btc = static_cast<long>(BT) * C, att = static_cast<long>(B) * NH * T * T;
  std::copy(tokens, tokens + BT, a.tokens.begin());
  for (int i = 0; i < BT; ++i)
    if (tokens[i] < 0 || tokens[i] >= V) throw std::invalid_argument("token id out of the vocabulary");

  embedding_forward(a.encoded.data(), tokens, p(kWte), p(kWpe), B, T, C);  // (B,T,C)
  const float* residual = a.encoded.data();
  for (int l = 0; l < cfg_.layers; ++l) {
    const std::size_t base = kFirstLayer + static_cast<std::size_t>(l) * kPerLayer;
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

    layernorm_forward(ln1, ln1_mean, ln1_rstd, residual, p(base + kLn1W), p(base + kLn1B), BT, C);
    matmul_forward(qkv, ln1, p(base + kQkvW), p(base + kQkvB), BT, C, 3 * C);
    attention_forward(atty, preatt, attw, qkv, B, T, C, NH);
    matmul_forward(attproj, atty, p(base + kAttProjW), p(base + kAttProjB), BT, C, C);
    residual_forward(residual2, residual, attproj, btc);
    layernorm_forward(ln2, ln2_mean, ln2_rstd, residual2, p(base + kLn2W), p(base + kLn2B), BT, C);
    matmul_forward(fch, ln2, p(base + kFcW), p(base + kFcB), BT, C, 4 * C);
    gelu_forward(fch_gelu, fch, btc * 4);
    matmul_forward(fcproj, fch_gelu, p(base + kFcProjW), p(base + kFcProjB), BT, 4 * C, C);
    residual_forward(residual3, residual2, fcproj, btc);
    residual = residual3;
  }
  const std::size_t lnf = kFirstLayer + static_cast<std::size_t>(cfg_.layers) * kPerLayer;
  layernorm_forward(a.lnf.data(), a.lnf_mean.data(), a.lnf_rstd.data(), residual, p(lnf), p(lnf + 1), BT, C);
  matmul_forward(a.logits.data(), a.lnf.data(), p(kWte), nullptr, BT, C, V);  // (B,T,V), tied head
  if (!targets) return 0.0f;
  for (int i = 0; i < BT; ++i)
    if (targets[i] < 0 || targets[i] >= V) throw std::invalid_argument("target id out of the vocabulary");
  std::copy(targets, targets + BT, a.targets.begin());
  softmax_crossentropy_forward(a.probs.data(), a.losses.data(), a.logits.data(), targets, BT, V);
  double sum = 0;
  for (int i = 0; i < BT; ++i) sum += a.losses[static_cast<std::size_t>(i)];
  return static_cast<float>(sum / BT);
}

void Gpt::zero_grad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

void Gpt::backward(float loss_scale, const GradientsReady& ready) {
  auto& a = acts_;
  auto& s = scratch_;
  const int B = fwd_B_, T = fwd_T_, C = cfg_.channels, NH = cfg_.heads, V = cfg_.vocab, BT = B * T;
  const long btc = static_cast<long>(BT) * C, att = static_cast<long>(B) * NH * T * T;
  auto zero = [](std::vector<float>& v, long n) { std::fill(v.begin(), v.begin() + n, 0.0f); };
  auto done = [&](std::size_t first, std::size_t end) {
    if (ready) ready(first, end);
  };

  softmax_crossentropy_backward(s.dlogits.data(), a.probs.data(), a.targets.data(), BT, V, loss_scale);  // (B,T,V)
  zero(s.dlnf, btc);
  matmul_backward(s.dlnf.data(), g(kWte), nullptr, s.dlogits.data(), a.lnf.data(), p(kWte), BT, C, V);
  const std::size_t lnf = kFirstLayer + static_cast<std::size_t>(cfg_.layers) * kPerLayer;
  const float* last_residual = a.residual3.data() + (cfg_.layers - 1) * btc;
  zero(s.dresidual, btc);  // (B,T,C): the gradient of the residual stream, carried down the layers
  layernorm_backward(s.dresidual.data(), g(lnf), g(lnf + 1), s.dlnf.data(), last_residual, p(lnf), a.lnf_mean.data(),
                     a.lnf_rstd.data(), BT, C);
  done(lnf, lnf + 2);

  for (int l = cfg_.layers - 1; l >= 0; --l) {
    const std::size_t base = kFirstLayer + static_cast<std::size_t>(l) * kPerLayer;
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
    zero(s.dfch_gelu, btc * 4);
    matmul_backward(s.dfch_gelu.data(), g(base + kFcProjW), g(base + kFcProjB), s.dresidual.data(), fch_gelu,
                    p(base + kFcProjW), BT, 4 * C, C);
    zero(s.dfch, btc * 4);
    gelu_backward(s.dfch.data(), fch, s.dfch_gelu.data(), btc * 4);
    zero(s.dln, btc);
    matmul_backward(s.dln.data(), g(base + kFcW), g(base + kFcB), s.dfch.data(), ln2, p(base + kFcW), BT, C, 4 * C);
    layernorm_backward(s.dresidual.data(), g(base + kLn2W), g(base + kLn2B), s.dln.data(), residual2, p(base + kLn2W),
                       a.ln2_mean.data() + l * BT, a.ln2_rstd.data() + l * BT, BT, C);
    // residual2 = residual + attproj: the same again for the attention branch.
    zero(s.datty, btc);
    matmul_backward(s.datty.data(), g(base + kAttProjW), g(base + kAttProjB), s.dresidual.data(), atty,
                    p(base + kAttProjW), BT, C, C);
    zero(s.dqkv, btc * 3);
    attention_backward(s.dqkv.data(), s.dpreatt.data(), s.datt.data(), s.datty.data(), qkv, attw, B, T, C, NH);
    zero(s.dln, btc);
    matmul_backward(s.dln.data(), g(base + kQkvW), g(base + kQkvB), s.dqkv.data(), ln1, p(base + kQkvW), BT, C, 3 * C);
    layernorm_backward(s.dresidual.data(), g(base + kLn1W), g(base + kLn1B), s.dln.data(), residual, p(base + kLn1W),
                       a.ln1_mean.data() + l * BT, a.ln1_rstd.data() + l * BT, BT, C);
    done(base, base + kPerLayer);
  }
  embedding_backward(g(kWte), g(kWpe), s.dresidual.data(), a.tokens.data(), B, T, C);
  done(kWte, kWpe + 1);
}

}  // namespace orrery::gpt
