// Universal checkpoints of gpt-train (see plugins/gpt-train/README.md, "Checkpoint format"):
// one HDF5 file per save, every parameter and AdamW moment one consolidated tensor under
// /params, /adam_m, /adam_v (PyTorch's names and shapes), with attributes mapping it to the
// fragments the ranks held, so a run saved on N ranks resumes on M. Written under a
// temporary name in the same folder and renamed when complete.
//
// With ZeRO-1 sharding, each rank holds the moments of its slice of the flat parameter
// array only: rank 0 writes the head (everything but the moments, whose datasets it
// creates with their space allocated), then the ranks write their slices of every moment
// tensor as hyperslabs of the consolidated dataset (the worker: all at once through
// parallel HDF5, gpt/parallel_checkpoint.hpp), then rank 0 publishes (renames) it. A reader
// sees the same consolidated tensors either way.
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
  std::int64_t zero_stage = 0;       // of the run that saved: 1 = AdamW moments sharded over its ranks
  std::string tokenizer;             // the sentencepiece model (serialized)
  std::string config_json;           // the training parameters, for humans and tools
};

// Writes model, optimizer and state to path atomically (path + ".tmp", then rename); opt
// must hold the moments of every parameter.
void save_checkpoint(const std::string& path, const Gpt& model, const AdamW& opt, const TrainingState& state);

// The steps of save_checkpoint, for ranks that each hold a slice of the moments
// (state.zero_stage 1; the fragments attributes name state.ranks' slices):
// 1. one rank creates the temporary file with everything but the moments' values;
void write_checkpoint_head(const std::string& tmp, const Gpt& model, std::int64_t adam_t, const TrainingState& state);
// 2. each rank writes the moments of opt.range(): here through the serial HDF5, so one rank
//    at a time (save_checkpoint's one rank; the worker's ranks use
//    write_optimizer_slices_parallel instead);
void write_optimizer_slice(const std::string& tmp, const Gpt& model, const AdamW& opt);
// 3. one rank makes it durable and gives it its final name.
void publish_checkpoint(const std::string& tmp, const std::string& path);
std::string temporary_checkpoint_path(const std::string& path);

// The model shape a checkpoint holds (to build a Gpt before load_checkpoint).
ModelConfig checkpoint_model_config(const std::string& path);

// Loads into model and opt, whose shapes must match the checkpoint's: a mismatch throws
// std::runtime_error naming the field or tensor ("checkpoint has layers 4, the run 2").
// Only the moments of opt.range() are read (hyperslabs), whatever sharding saved them.
TrainingState load_checkpoint(const std::string& path, Gpt& model, AdamW& opt);

// The same without the optimizer: the parameters and the state (tokenizer included), for
// inference (gpt-serve). The same shape checks and errors.
TrainingState load_model_weights(const std::string& path, Gpt& model);

// checkpoints/step-0000120.h5
std::string checkpoint_file_name(std::int64_t step);

}  // namespace orrery::gpt
