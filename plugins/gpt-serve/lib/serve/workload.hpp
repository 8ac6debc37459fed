// The requests a gpt-serve run answers: arrivals as a Poisson process or a gamma renewal
// process (burstier for shape < 1, as in DistServe's and AlpaServe's workloads) at a rate,
// for a duration, with prompt and output lengths uniform in ranges; or the arrivals and
// lengths of a JSON-lines trace. Prompts are windows of the corpus's token ids. Everything
// is a function of the seed, so every rank generates the same workload and takes its share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serve/engine.hpp"

namespace orrery::serve {

struct LengthRange {
  int min = 1, max = 1;  // inclusive, uniform
};

struct WorkloadOptions {
  std::string arrival = "poisson";  // poisson | gamma
  double rate = 1.0;                // requests per second
  double gamma_shape = 0.5;         // gamma arrivals: shape k (inter-arrival CV = 1 / sqrt(k))
  double duration_s = 10.0;
  LengthRange prompt{8, 16}, output{8, 16};
  std::string trace;                // a JSON-lines file instead of the above
  std::uint64_t seed = 1;
};

// One line of a trace: {"arrival_s": 0.25, "prompt_tokens": 12, "output_tokens": 20}.
struct TraceEntry {
  double arrival_s = 0;
  int prompt_tokens = 0, output_tokens = 0;
};

// Throws std::invalid_argument naming the option (rate <= 0, an empty range, ...).
void validate(const WorkloadOptions& options);

// Throws std::runtime_error naming the file and line of the first bad entry (not JSON, a
// missing or non-positive field, arrivals going back in time).
std::vector<TraceEntry> read_trace(const std::string& path);

// Arrival times in [0, duration) of the chosen process.
std::vector<double> arrival_times(const WorkloadOptions& options);

// The requests, ids 0.. in arrival order, prompts drawn from corpus (which must be longer
// than the longest prompt).
std::vector<Request> generate_workload(const WorkloadOptions& options, const std::vector<int>& corpus);

}  // namespace orrery::serve
