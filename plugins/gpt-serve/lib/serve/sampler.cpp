#include "serve/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "gpt/rng.hpp"

namespace orrery::serve {

void validate(const SamplingOptions& o) {
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature))
    throw std::invalid_argument("--temperature: must be 0 (greedy) or positive");
  if (o.top_k < 0) throw std::invalid_argument("--top_k: must be 0 (all tokens) or positive");
}

int sample_token(const float* logits, int vocab, const SamplingOptions& o, std::int64_t request, int index) {
  if (o.temperature == 0.0f) return static_cast<int>(std::max_element(logits, logits + vocab) - logits);
  // Candidates: the top_k largest logits (ties by lower id), in that order.
  std::vector<int> ids(static_cast<std::size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  const int k = o.top_k > 0 ? std::min(o.top_k, vocab) : vocab;
  auto larger = [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), larger);
  std::vector<double> w(static_cast<std::size_t>(k));
  const double top = logits[ids[0]];
  double sum = 0;
  for (int i = 0; i < k; ++i)
    sum += w[static_cast<std::size_t>(i)] = std::exp((logits[ids[static_cast<std::size_t>(i)]] - top) / o.temperature);
  gpt::Rng rng(o.seed ^ gpt::mix64(static_cast<std::uint64_t>(request)), static_cast<std::uint64_t>(index));
  double u = rng.uniform() * sum;
  for (int i = 0; i < k; ++i) {
    u -= w[static_cast<std::size_t>(i)];
    if (u <= 0) return ids[static_cast<std::size_t>(i)];
  }
  return ids[static_cast<std::size_t>(k - 1)];
}

}  // namespace orrery::serve
