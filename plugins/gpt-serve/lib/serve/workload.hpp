// The requests a gpt-serve run answers: arrivals as a Poisson process or a gamma renewal
// process (burstier for shape < 1, as in DistServe's and AlpaServe's workloads) at a rate,
// for a duration, with prompt and output lengths in ranges (uniform, or log-normal: most
// requests short, a long tail, as in chat traces such as ShareGPT); or the arrivals and
// lengths of a JSON-lines trace. Prompts are windows of the corpus's token ids. Everything
// is a function of the seed, so every rank generates the same workload and takes its share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpt/rng.hpp"
#include "serve/engine.hpp"

namespace orrery::serve {

struct LengthRange {
  int min = 1, max = 1;  // inclusive
};

struct WorkloadOptions {
  std::string arrival = "poisson";  // poisson | gamma
  double rate = 1.0;                // requests per second
  double gamma_shape = 0.5;         // gamma arrivals: shape k (inter-arrival CV = 1 / sqrt(k))
  double duration_s = 10.0;
  LengthRange prompt{8, 16}, output{8, 16};
  // uniform in the range, or lognormal: median the range's geometric mean, the range's ends
  // two standard deviations (of the log) away, drawn again when outside the range.
  std::string lengths = "uniform";
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

// One length of the chosen distribution within r.
int draw_length(gpt::Rng& rng, const std::string& distribution, LengthRange r);

// Arrival times in [0, duration) of the chosen process.
std::vector<double> arrival_times(const WorkloadOptions& options);

// The arrivals and lengths alone (the trace's, or drawn), in arrival order: what a
// simulator of serving (serve-sim) needs without a corpus.
std::vector<TraceEntry> workload_entries(const WorkloadOptions& options);

// The requests, ids 0.. in arrival order, prompts drawn from corpus (which must be longer
// than the longest prompt).
std::vector<Request> generate_workload(const WorkloadOptions& options, const std::vector<int>& corpus);

}  // namespace orrery::serve
