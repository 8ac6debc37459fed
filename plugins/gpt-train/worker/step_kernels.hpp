// The kernels a rank computes a step's forward and backward with: the CPU model itself
// (OpenBLAS + OpenMP), or its GPU twin (gpt/cuda/model.hpp) when the build has CUDA and a
// device can be used. Either way the CPU model (Gpt) stays the owner of the parameters and
// of the gradients the step ends with, in the one flat layout: the bucketed all-reduce,
// ZeRO-1, AdamW, checkpoints and resume work on it unchanged, so a run may be saved on one
// kind of kernels and resumed on the other. On the GPU of a run of several ranks each group
// of gradients is copied to the host as backward finishes it, and the updated parameters back
// after the optimizer step; a run of one rank keeps them on the device and steps there, and
// the host model and optimizer are brought up to date when something reads them.
#pragma once

#include <memory>
#include <string>

#include "gpt/adamw.hpp"
#include "gpt/model.hpp"
#include "gpt/train_options.hpp"

namespace orrery::gpt {

class StepKernels {
 public:
  virtual ~StepKernels() = default;
  // One line for the run log saying which kernels and why, e.g. "no CUDA device: CPU kernels".
  virtual const std::string& description() const = 0;
  virtual int gpu() const = 0;  // the CUDA device index, -1 on the CPU
  // The rate MFU is measured against: this machine's matrix product on these kernels, and its name.
  virtual const char* peak_name() const = 0;
  virtual double measure_peak_flops() = 0;

  // As Gpt::forward (tokens, targets (B,T) on the host): the mean loss.
  virtual float forward(const int* tokens, const int* targets, int B, int T) = 0;
  // Zeroes the gradients and runs backward; when it returns the CPU model's grads() hold
  // them. ready is called as Gpt::backward calls it, for each group of tensors as it is final
  // (on the GPU after the group's copy to the host, so its all-reduce overlaps the layers below).
  virtual void backward(float loss_scale, const GradientsReady& ready) = 0;
  // The CPU model's parameters changed (optimizer step, all-gather): the GPU takes a copy.
  virtual void params_changed() = 0;
  // The optimizer step of a replicated run (every rank holds all the moments), after the
  // gradients were all-reduced into model.grads(): the global norm, clipping to grad_clip,
  // AdamW, and the kernels given the new parameters. Returns the norm before clipping. Here on
  // the host; GPU kernels that keep the optimizer on the device do it there.
  virtual double replicated_update(Gpt& model, AdamW& opt, float lr, float grad_clip);
  // Kernels that keep the parameters and moments on the device copy them into model and opt
  // (before a checkpoint, or the host model samples text); the others hold nothing apart.
  virtual void sync_to_host(Gpt& model, AdamW& opt) {
    static_cast<void>(model);
    static_cast<void>(opt);
  }
};

// The kernels the options ask for, on the model's current parameters (after a resume).
// local_rank (the rank's index among the ranks of its node) picks the GPU, local_rank modulo
// the devices. Throws std::invalid_argument when device=cuda or precision=bf16 cannot be
// had: a CPU-only build, or no usable CUDA device (the runtime's reason in the message).
// keep_on_device: the optimizer of a rank that needs no host copy of its gradients (one rank,
// replicated moments), or null. GPU kernels given one keep the gradients, the moments (a copy
// of it) and the parameters on the device, and step there; the CPU kernels ignore it.
std::unique_ptr<StepKernels> make_step_kernels(const TrainOptions& options, Gpt& model, int local_rank,
                                               const AdamW* keep_on_device);

}  // namespace orrery::gpt
