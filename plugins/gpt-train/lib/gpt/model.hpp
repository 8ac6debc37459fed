// The GPT-2-style model on the CPU: parameters as named tensors in one flat array (so a
// bucket of gradients is a contiguous range), the activations of one batch, and the
// forward and backward passes built from the layers of layers.hpp.
//
// Layout of the flat parameter array (PyTorch's names and shapes, so a checkpoint loads
// into the reference model in python/gpt_reference.py without renaming):
//   wte.weight (V,C), wpe.weight (T,C),
//   per layer l: h.l.ln_1.{weight,bias} (C), h.l.attn.c_attn.weight (3C,C), .bias (3C),
//                h.l.attn.c_proj.weight (C,C), .bias (C), h.l.ln_2.{weight,bias} (C),
//                h.l.mlp.c_fc.weight (4C,C), .bias (4C), h.l.mlp.c_proj.weight (C,4C), .bias (C),
//   ln_f.{weight,bias} (C).
// The output head is wte (tied). Backward finishes the gradients in the reverse of this
// order (ln_f, the last layer ... the first, then wpe and wte), which is what lets a
// data-parallel worker all-reduce the tail while the head is still being computed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gpt/model_config.hpp"

namespace orrery::gpt {

struct TensorInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // in floats, into the flat array
  std::size_t size = 0;    // floats
  bool decayed = false;    // AdamW's weight decay applies (matrices and embeddings, not biases or norms)
};

// Called by backward when the gradients of tensors [first, end) are final.
using GradientsReady = std::function<void(std::size_t first, std::size_t end)>;

class Gpt {
 public:
  explicit Gpt(const ModelConfig& config);

  const ModelConfig& config() const { return cfg_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  std::vector<float>& params() { return params_; }
  const std::vector<float>& params() const { return params_; }
  std::vector<float>& grads() { return grads_; }
  const std::vector<float>& grads() const { return grads_; }

  // GPT-2's initialisation: normal(0, 0.02) weights, residual projections scaled by
  // 1/sqrt(2 L), zero biases, unit norms. A function of the seed only.
  void init_weights(std::uint64_t seed);

  // Runs the model on tokens (B,T) with B, T at most what was last reserved (grows as needed).
  // With targets (B,T), also computes the per-position losses and returns their mean;
  // without, returns 0 and only the logits are valid.
  float forward(const int* tokens, const int* targets, int B, int T);
  // Logits (B,T,V) and per-position losses (B,T) of the last forward.
  const float* logits() const { return acts_.logits.data(); }
  const float* losses() const { return acts_.losses.data(); }

  void zero_grad();
  // Accumulates into grads() the gradient of loss_scale * (sum of the last forward's
  // position losses); loss_scale = 1 / (tokens of the global batch) makes it the mean.
  // ready (may be empty) is called as each group of tensors is finished.
  void backward(float loss_scale, const GradientsReady& ready = {});

 private:
  struct Activations {
    int B = 0, T = 0;
    std::vector<float> encoded, ln1, ln1_mean, ln1_rstd, qkv, atty, preatt, att, attproj, residual2, ln2, ln2_mean,
        ln2_rstd, fch, fch_gelu, fcproj, residual3, lnf, lnf_mean, lnf_rstd, logits, probs, losses;
    std::vector<int> tokens, targets;
  };
  struct Scratch {  // gradients of the activations, one layer's worth reused by every layer
    std::vector<float> dresidual, dln, dqkv, datty, dpreatt, datt, dfch, dfch_gelu, dlnf, dlogits;
  };
  void reserve(int B, int T);
  float* p(std::size_t tensor) { return params_.data() + tensors_[tensor].offset; }
  float* g(std::size_t tensor) { return grads_.data() + tensors_[tensor].offset; }

  ModelConfig cfg_;
  std::vector<TensorInfo> tensors_;
  std::vector<float> params_, grads_;
  Activations acts_;
  Scratch scratch_;
  int fwd_B_ = 0, fwd_T_ = 0;
};

}  // namespace orrery::gpt
