// Picking the next token from logits: greedy (temperature 0) or softmax at a temperature
// over the top-k logits. The random number is a function of (seed, request, token index)
// only, so a request gets the same tokens whatever batch it ran in and on whichever rank.
#pragma once

#include <cstdint>

namespace orrery::serve {

struct SamplingOptions {
  float temperature = 0.0f;  // 0: greedy
  int top_k = 0;             // 0: the whole vocabulary
  std::uint64_t seed = 1;
};

// Throws std::invalid_argument for a negative temperature or top_k.
void validate(const SamplingOptions& options);

// The next token of request `request`, its `index`-th generated token (0 for the first).
int sample_token(const float* logits, int vocab, const SamplingOptions& options, std::int64_t request, int index);

}  // namespace orrery::serve
