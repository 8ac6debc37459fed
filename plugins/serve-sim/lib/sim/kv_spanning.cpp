#include "sim/kv_spanning.hpp"

#include <algorithm>
#include <numeric>

namespace orrery::sim {

long KvSpan::borrowed() const {
  return std::accumulate(loans.begin(), loans.end(), 0L, [](long sum, const KvLoan& l) { return sum + l.tokens; });
}

std::optional<KvSpan> plan_span(std::span<const long> free_tokens, int debtor, int first, int last, long need) {
  KvSpan span;
  span.local = std::clamp(free_tokens[static_cast<std::size_t>(debtor)], 0L, need);
  long missing = need - span.local;
  std::vector<int> creditors;
  for (int i = first; i < last; ++i)
    if (i != debtor && free_tokens[static_cast<std::size_t>(i)] > 0) creditors.push_back(i);
  // Most free first; stable, so the lowest index among equals (a deterministic placement).
  std::stable_sort(creditors.begin(), creditors.end(),
                   [&](int a, int b) { return free_tokens[static_cast<std::size_t>(a)] > free_tokens[static_cast<std::size_t>(b)]; });
  for (const int c : creditors) {
    if (missing == 0) break;
    const long lent = std::min(missing, free_tokens[static_cast<std::size_t>(c)]);
    span.loans.push_back({c, lent});
    missing -= lent;
  }
  if (missing > 0) return std::nullopt;
  return span;
}

long attended_on_loan(const KvSpan& s, std::size_t k, long context) {
  long offset = s.local;
  for (std::size_t j = 0; j < k; ++j) offset += s.loans[j].tokens;
  return std::clamp(context - offset, 0L, s.loans[k].tokens);
}

double micro_attention_time(const CostModel& m, const InstanceShape& s, long tokens) {
  // The step's cost with and without those tokens: the per-context-token term alone, scaled
  // by the shape as the step is (the fixed and per-sequence terms cancel).
  return decode_step_time(m, s, 0, tokens) - decode_step_time(m, s, 0, 0);
}

}  // namespace orrery::sim
