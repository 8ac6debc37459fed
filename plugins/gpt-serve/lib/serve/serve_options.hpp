// The gpt-serve worker's parameters (every parameter of plugins/gpt-serve/kind.json as a
// --name=value option) and their validation.
#pragma once

#include <span>
#include <string>

#include "gpt/model_config.hpp"
#include "gpt/name_value_options.hpp"
#include "serve/sampler.hpp"
#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"

namespace orrery::serve {

struct ServeOptions {
  std::string checkpoint;      // a gpt-train checkpoint (required)
  gpt::ModelConfig expect;     // fields the checkpoint must have (0: any)
  std::string corpus = "kjv";  // prompts are windows of its token ids
  std::string cache_dir;       // empty: <project>/cache/gpt-train (shared with gpt-train)
  int val_every = 10;
  std::string placement = "colocated";  // colocated | disaggregated
  int prefill_ranks = 1;                // disaggregated: ranks 0 .. prefill_ranks-1 prefill, the rest decode
  int batch_limit = 8;
  int kv_blocks = 256;  // per rank
  int block_size = 16;  // positions per block
  WorkloadOptions workload;
  SamplingOptions sampling;
  Slo slo;
  int threads = 1;
  double prompt_wait_s = 0;  // rank 0 answers `orrery prompt` this long after the workload
  int answer_tokens = 32;    // tokens of each answer
  // Wall time between two runs of the speed probe (speed_probe.hpp) on each rank; 0: off.
  double speed_probe_ms = 20;
};

extern const char* const kServeUsage;

// The workload's options (arrival .. lengths) as --name=value setters into w; shared with
// serve-sim, whose workload is this one.
void add_workload_setters(gpt::OptionSetters& setters, WorkloadOptions& w);

// Throws std::invalid_argument naming the option ("--rate: must be greater than 0 requests/s").
ServeOptions parse_serve_options(std::span<char* const> args, bool& help);

}  // namespace orrery::serve
