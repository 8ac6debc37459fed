// Universal checkpoints of gpt-train (see plugins/gpt-train/README.md, "Checkpoint format"):
// one HDF5 file per save, every parameter and AdamW moment one consolidated tensor under
// /params, /adam_m, /adam_v (PyTorch's names and shapes), with attributes mapping it to the
// fragments the ranks held, so a run saved on N ranks resumes on M. Written under a
// temporary name in the same folder and renamed when complete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpt/model_config.hpp"

namespace orrery::gpt {

class Gpt;
class AdamW;

struct TrainingState {
  std::int64_t step = 0;             // steps completed (the next step to run)
  std::int64_t seed = 0;             // of weights, data order and sampling
  std::int64_t loader_position = 0;  // global sequences consumed by the data loader
  std::int64_t sample_counter = 0;   // draws of the sampling random source so far
  std::int64_t ranks = 1;            // ranks of the run that saved
  std::string tokenizer;             // the sentencepiece model (serialized)
  std::string config_json;           // the training parameters, for humans and tools
};

// Writes model, optimizer and state to path atomically (path + ".tmp", then rename).
void save_checkpoint(const std::string& path, const Gpt& model, const AdamW& opt, const TrainingState& state);

// The model shape a checkpoint holds (to build a Gpt before load_checkpoint).
ModelConfig checkpoint_model_config(const std::string& path);

// Loads into model and opt, whose shapes must match the checkpoint's: a mismatch throws
// std::runtime_error naming the field or tensor ("checkpoint has layers 4, the run 2").
TrainingState load_checkpoint(const std::string& path, Gpt& model, AdamW& opt);

// The same without the optimizer: the parameters and the state (tokenizer included), for
// inference (gpt-serve). The same shape checks and errors.
TrainingState load_model_weights(const std::string& path, Gpt& model);

// checkpoints/step-0000120.h5
std::string checkpoint_file_name(std::int64_t step);

}  // namespace orrery::gpt
