// The GPT on the GPU: the same model as gpt::Gpt (gpt/model.hpp) with the same flat
// parameter layout, its parameters, gradients and activations in device memory, and the
// forward and backward passes built from the GPU twins in gpt/cuda/layers.hpp in the same
// order as the CPU's. Made from a CPU model, whose configuration, tensors and current
// parameters it copies, so the two can be compared and a trainer can switch between them.
#pragma once

#include <span>
#include <vector>

#include "gpt/cuda/cublas_handle.hpp"
#include "gpt/cuda/device_buffer.hpp"
#include "gpt/model.hpp"

namespace orrery::gpt::cuda {

class GptCuda {
 public:
  // precision: the matrix products' (see CublasHandle); everything else is fp32.
  explicit GptCuda(const Gpt& cpu, MatmulPrecision precision = MatmulPrecision::fp32);

  const ModelConfig& config() const { return cfg_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  float* params() { return params_.data(); }
  float* grads() { return grads_.data(); }
  std::size_t parameter_count() const { return params_.size(); }
  void download_params(std::span<float> host) const { params_.download(host); }
  void upload_params(std::span<const float> host) { params_.upload(host); }
  std::vector<float> download_params() const { return params_.download(); }
  std::vector<float> download_grads() const { return grads_.download(); }

  // As Gpt::forward, tokens and targets (B,T) on the host: the mean loss with targets, 0
  // without (then only the logits are valid).
  float forward(const int* tokens, const int* targets, int B, int T);
  // Logits (B,T,V) of the last forward, copied to the host.
  std::vector<float> download_logits() const;

  void zero_grad() { grads_.zero(); }
  // As Gpt::backward: adds the gradient of loss_scale * (sum of the position losses).
  void backward(float loss_scale) { backward_to_host(loss_scale, {}, {}); }
  // Waits for the kernels queued so far (backward without host copies returns before they end).
  void synchronize() const;
  // The same, and as each group of tensors is final (Gpt::backward's groups and order: ln_f,
  // the layers from the last, the embeddings) its gradients are copied into host (the CPU
  // model's flat gradient array; empty: no copies) and the group reported to ready, so a
  // data-parallel trainer can all-reduce it while the layers below are computed.
  void backward_to_host(float loss_scale, std::span<float> host, const GradientsReady& ready);

 private:
  void reserve(int B, int T);
  float* p(std::size_t tensor) { return params_.data() + tensors_[tensor].offset; }
  float* g(std::size_t tensor) { return grads_.data() + tensors_[tensor].offset; }

  struct Activations {  // all layers' (L,...) as in Gpt::Activations
    int B = 0, T = 0;
    DeviceBuffer<float> encoded, ln1, ln1_mean, ln1_rstd, qkv, atty, preatt, att, attproj, residual2, ln2, ln2_mean,
        ln2_rstd, fch, fch_gelu, fcproj, residual3, lnf, lnf_mean, lnf_rstd, logits, probs, losses;
    DeviceBuffer<int> tokens, targets;
  };
  struct Scratch {  // one layer's activation gradients, reused by every layer
    DeviceBuffer<float> dresidual, dln, dqkv, datty, dpreatt, datt, dfch, dfch_gelu, dlnf, dlogits;
  };

  ModelConfig cfg_;
  std::vector<TensorInfo> tensors_;
  CublasHandle cublas_;
  DeviceBuffer<float> params_, grads_;
  Activations acts_;
  Scratch scratch_;
  int fwd_B_ = 0, fwd_T_ = 0;
};

}  // namespace orrery::gpt::cuda
