// The gpt-train worker's parameters (every parameter of plugins/gpt-train/kind.json as a
// --name=value option) and their validation.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "gpt/model_config.hpp"

namespace orrery::gpt {

// Which kernels a rank trains with: auto picks the GPU when the build has CUDA and a device
// can be used, else the CPU; cuda refuses to start without one.
enum class DeviceChoice { automatic, cpu, cuda };
// The matrix products' arithmetic: fp32 throughout, or (GPU only) bf16 operands with fp32
// accumulation; parameters, gradients and AdamW moments stay fp32 either way.
enum class Precision { fp32, bf16 };
const char* device_name(DeviceChoice d);
const char* precision_name(Precision p);

struct TrainOptions {
  // corpus and tokenizer
  std::string corpus = "kjv";
  std::string cache_dir;  // empty: <project>/cache/gpt-train (or ./gpt-train-cache without an agent)
  int val_every = 10;
  // model: a preset, then any of its fields overridden (0 keeps the preset's)
  std::string preset = "test";
  ModelConfig model;  // resolved from preset + overrides
  // optimisation
  int batch_size = 8;  // sequences per step, over all ranks
  std::int64_t steps = 50;
  float lr = 1e-3f, min_lr_ratio = 0.1f, weight_decay = 0.1f, grad_clip = 1.0f;
  std::int64_t warmup_steps = 10;
  std::int64_t seed = 1;
  int threads = 1;
  DeviceChoice device = DeviceChoice::automatic;
  Precision precision = Precision::fp32;
  // distribution
  double bucket_mb = 1.0;  // gradient bucket size
  bool overlap = true;     // all-reduce buckets during backward; false: after it
  int zero_stage = 0;      // 1: each rank keeps the AdamW moments of its slice of the parameters only (ZeRO-1)
  // evaluation, samples, checkpoints
  std::int64_t val_interval = 25;
  int val_batches = 2;
  int sample_tokens = 48;
  std::int64_t checkpoint_interval = 0;  // 0: only at the end
  std::string checkpoint_dir;            // empty: <run dir>/checkpoints (./checkpoints without an agent)
  std::string resume;                    // a checkpoint file to continue from
  std::int64_t stop_at_step = 0;         // stop (with a checkpoint) after this step; 0: run all steps
  std::string config_json() const;
};

extern const char* const kUsage;

// Throws std::invalid_argument naming the option ("--context: must be at least 1, got 0").
TrainOptions parse_train_options(std::span<char* const> args, bool& help);

}  // namespace orrery::gpt
