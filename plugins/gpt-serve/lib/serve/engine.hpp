// The serving engine of one rank: a queue of requests and a running batch with continuous
// batching (as in Orca / vLLM): at every token boundary finished sequences leave the batch
// and waiting requests join it (their prompt is prefilled), up to a batch limit and as long
// as the KV cache can hold every admitted sequence to its last token, so a running sequence
// is never preempted. Each decode step feeds every running sequence's last token as one
// batch through PagedGpt.
//
// For disaggregated serving (DistServe) a prefill-only engine hands each prefilled
// sequence (its first token and KV cache) off instead of decoding it, and a decode engine
// adopts such sequences (except requests marked decode_here, which it decodes itself).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "serve/kv_cache.hpp"
#include "serve/paged_model.hpp"
#include "serve/sampler.hpp"

namespace orrery::serve {

struct Request {
  std::int64_t id = 0;
  std::vector<int> prompt;
  int max_new_tokens = 1;
  double arrival_s = 0;  // seconds after the workload's start
  // In a prefill-only engine: decoded here instead of handed off (rank 0 of a disaggregated
  // run answers interactive prompts colocated-style, their tokens on the rank that streams them).
  bool decode_here = false;
};

// A token the engine produced; `index` counts the request's generated tokens from 0.
struct GeneratedToken {
  std::int64_t request;
  int token;
  int index;
  bool last;
};

// A prefilled sequence leaving a prefill-only engine.
struct PrefillHandoff {
  Request request;
  int first_token = 0;
  int length = 0;          // cached positions (the prompt)
  std::vector<float> kv;   // export_kv's layout
};

struct EngineOptions {
  int batch_limit = 8;  // sequences in the running batch
  SamplingOptions sampling;
  bool prefill_only = false;
};

class Engine {
 public:
  Engine(const gpt::Gpt& model, KvBlockPool& pool, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request. Throws std::invalid_argument when it can never run: empty prompt,
  // prompt + new tokens past the context, or more blocks than the whole pool.
  void submit(Request request);
  // submit's checks alone (the worker checks the whole workload before serving any of it).
  void check(const Request& request) const;
  // Takes a sequence prefilled elsewhere into the running batch (it counts against the
  // batch limit; the caller checks can_adopt first). Throws when the KV does not fit.
  void adopt(const PrefillHandoff& handoff);
  bool can_adopt(const PrefillHandoff& handoff) const;

  // Admits waiting requests in arrival order while the batch and the cache allow, prefills
  // them as one batch and returns their first tokens (empty when none was admitted). In a
  // prefill-only engine they then leave as handoffs.
  std::vector<GeneratedToken> prefill();
  // One decode step of the running batch: one token per running sequence.
  std::vector<GeneratedToken> decode();
  std::vector<PrefillHandoff> take_handoffs();

  std::size_t waiting() const { return queue_.size(); }
  std::size_t running() const { return running_.size(); }
  // KV positions the next decode step attends over: every running sequence's prompt and
  // generated tokens (its last token's position included).
  long attended_positions() const;
  bool idle() const { return queue_.empty() && running_.empty(); }
  const KvBlockPool& pool() const { return pool_; }

 private:
  struct Sequence {
    Request request;
    BlockTable table;
    std::vector<int> generated;
  };
  // Blocks the running sequences may still need to reach their last token.
  int blocks_promised() const;
  int blocks_needed(const Request& r) const;

  PagedGpt model_;
  KvBlockPool& pool_;
  EngineOptions options_;
  std::deque<Request> queue_;
  std::vector<std::unique_ptr<Sequence>> running_;
  std::vector<PrefillHandoff> handoffs_;
};

}  // namespace orrery::serve
