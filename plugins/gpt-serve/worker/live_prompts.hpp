// Interactive prompts (`orrery prompt RUN "text"`) on rank 0: each prompt taken from the
// runtime (orrery::take_prompt()) becomes a request of an engine, and the tokens the engine
// produces for it are streamed back as events "prompt.token" ("ID:piece", the text each token
// adds) and "prompt.done" ("ID"). During the workload the prompts join the workload's engine
// (its running batch, at the next token boundary), after it an engine of their own.
// Prompt requests have negative ids, apart from the workload's 0..n-1, so the workload's
// per-request log and metrics never see them.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gpt/tokenizer.hpp"
#include "serve/engine.hpp"

namespace orrery::serve {

class LivePrompts {
 public:
  // answer_tokens: each answer's length (capped so prompt and answer fit the context).
  LivePrompts(const gpt::Tokenizer& tokenizer, int context, int answer_tokens, bool decode_here);

  // Takes the prompts that have arrived and submits them to engine; a prompt that can never
  // fit engine's KV cache waits for the next engine that is offered (submit_waiting).
  // Returns how many prompts it took.
  std::size_t take(Engine& engine);
  void submit_waiting(Engine& engine);
  // Streams the prompts' tokens among produced; returns the workload's tokens alone.
  std::vector<GeneratedToken> stream(const std::vector<GeneratedToken>& produced);
  // Prompt tokens of the prompts among first (a prefill batch) and their causal attention
  // pairs, for the iteration gauges.
  std::pair<long, double> prompt_tokens(const std::vector<GeneratedToken>& first) const;
  bool open() const { return !answers_.empty() || !waiting_.empty(); }

  static bool is_prompt(std::int64_t request) { return request < 0; }

 private:
  struct Answer {
    std::string id;  // the agent's
    std::size_t prompt_length = 0;
    std::vector<int> tokens;
    std::string said;
  };
  const gpt::Tokenizer& tokenizer_;
  const int context_, answer_tokens_;
  const bool decode_here_;
  std::int64_t taken_ = 0;
  std::map<std::int64_t, Answer> answers_;  // by request id
  std::deque<Request> waiting_;
};

// A prefill batch's prompt tokens and the pairs its causal attention computes
// (n (n + 1) / 2 for a prompt of n tokens), added to work.
void add_prefill_work(std::pair<long, double>& work, std::size_t prompt_length);

}  // namespace orrery::serve
