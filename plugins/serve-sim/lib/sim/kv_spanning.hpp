// Infinite-LLM's distributed KV cache (DistAttention, Lin et al. 2024) for the simulator: a
// request whose KV (prompt + output) exceeds what one instance holds keeps what fits on its
// own instance (the debtor) and borrows the rest on other instances of its role (creditors),
// as the paper's global manager places borrowed blocks where memory is free.
//
// Model, stated: blocks fill the debtor first, then each loan in order, as the context grows.
// A decode step of a spanning request attends locally over the debtor's part; the query goes
// to each creditor, which attends over the tokens it holds (micro-attention: the cost model's
// per-context-token term for those tokens), and the partial results come back and are
// combined. The creditors work in parallel, so the debtor's step is its local step plus the
// slowest creditor's hop (query there, partial result back) and micro-attention. A creditor's
// own decode steps also attend over the tokens it lends (the borrowed work shares its
// iterations). Only a request larger than one instance borrows; one that fits waits for its
// instance's memory as before.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "sim/cost_model.hpp"

namespace orrery::sim {

struct KvLoan {
  int creditor = 0;
  long tokens = 0;
};

struct KvSpan {
  long local = 0;             // tokens on the debtor
  std::vector<KvLoan> loans;  // the rest, in the order the context fills them
  long borrowed() const;
};

// Where `need` tokens of KV go for a request on instance `debtor`: the debtor's free tokens
// first, then the other instances of [first, last) with the most free tokens first (the
// lowest index among equals), each lending all it has free until the need is met. nullopt
// when the free tokens of [first, last) together fall short (the request waits).
std::optional<KvSpan> plan_span(std::span<const long> free_tokens, int debtor, int first, int last, long need);

// Tokens of loan k's blocks that a step attending over `context` tokens reads.
long attended_on_loan(const KvSpan& s, std::size_t k, long context);

// A creditor's micro-attention over `tokens` borrowed tokens: the cost model's per-context-token
// term of a decode step for them, on the instance's shape.
double micro_attention_time(const CostModel& m, const InstanceShape& s, long tokens);

}  // namespace orrery::sim
