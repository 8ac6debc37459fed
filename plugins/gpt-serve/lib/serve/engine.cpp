#include "serve/engine.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace orrery::serve {

Engine::Engine(const gpt::Gpt& model, KvBlockPool& pool, EngineOptions options)
    : model_(model), pool_(pool), options_(options) {
  if (options_.batch_limit < 1) throw std::invalid_argument("--batch_limit: must be at least 1");
  validate(options_.sampling);
}

Engine::~Engine() {
  for (auto& s : running_) release_all(pool_, s->table);
}

int Engine::blocks_needed(const Request& r) const {
  // The last generated token is returned, never fed back, so it needs no cache position.
  return pool_.blocks_for(static_cast<int>(r.prompt.size()) + r.max_new_tokens - 1);
}

int Engine::blocks_promised() const {
  int n = 0;
  for (const auto& s : running_) n += blocks_needed(s->request) - static_cast<int>(s->table.blocks.size());
  return n;
}

void Engine::submit(Request r) {
  check(r);
  queue_.push_back(std::move(r));
}

void Engine::check(const Request& r) const {
  const int context = model_.config().context;
  const auto id = std::to_string(r.id);
  if (r.prompt.empty()) throw std::invalid_argument("request " + id + ": empty prompt");
  if (r.max_new_tokens < 1) throw std::invalid_argument("request " + id + ": asks for no token");
  for (const int t : r.prompt)
    if (t < 0 || t >= model_.config().vocab) throw std::invalid_argument("request " + id + ": token out of the vocabulary");
  if (static_cast<int>(r.prompt.size()) + r.max_new_tokens - 1 > context)
    throw std::invalid_argument("request " + id + ": prompt " + std::to_string(r.prompt.size()) + " + " +
                                std::to_string(r.max_new_tokens) + " new tokens pass the model's context of " +
                                std::to_string(context));
  if (blocks_needed(r) > pool_.total_blocks())
    throw std::invalid_argument("request " + id + " needs " + std::to_string(blocks_needed(r)) +
                                " KV blocks, the cache has " + std::to_string(pool_.total_blocks()));
}

bool Engine::can_adopt(const PrefillHandoff& h) const {
  return running_.size() < static_cast<std::size_t>(options_.batch_limit) &&
         pool_.free_blocks() - blocks_promised() >= blocks_needed(h.request);
}

void Engine::adopt(const PrefillHandoff& h) {
  if (!can_adopt(h)) throw std::runtime_error("request " + std::to_string(h.request.id) + ": no room to adopt it");
  auto s = std::make_unique<Sequence>();
  s->request = h.request;
  import_kv(pool_, s->table, h.kv.data(), h.length);
  s->generated.push_back(h.first_token);
  running_.push_back(std::move(s));
}

std::vector<GeneratedToken> Engine::prefill() {
  std::vector<std::unique_ptr<Sequence>> admitted;
  int available = pool_.free_blocks() - blocks_promised();
  while (!queue_.empty() && running_.size() + admitted.size() < static_cast<std::size_t>(options_.batch_limit) &&
         blocks_needed(queue_.front()) <= available) {
    available -= blocks_needed(queue_.front());
    auto s = std::make_unique<Sequence>();
    s->request = std::move(queue_.front());
    queue_.pop_front();
    if (!reserve_positions(pool_, s->table, static_cast<int>(s->request.prompt.size())))
      throw std::logic_error("gpt-serve: promised KV blocks missing");
    admitted.push_back(std::move(s));
  }
  std::vector<GeneratedToken> out;
  if (admitted.empty()) return out;
  std::vector<SequenceChunk> chunks;
  for (auto& s : admitted) chunks.push_back({&s->table, s->request.prompt.data(), static_cast<int>(s->request.prompt.size())});
  const float* logits = model_.forward(chunks, pool_);
  const int V = model_.config().vocab;
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    auto& s = admitted[i];
    const int token = sample_token(logits + i * static_cast<std::size_t>(V), V, options_.sampling, s->request.id, 0);
    const bool last = s->request.max_new_tokens == 1;
    out.push_back({s->request.id, token, 0, last});
    s->generated.push_back(token);
    if (last || (options_.prefill_only && !s->request.decode_here)) {
      if (!last) handoffs_.push_back({s->request, token, s->table.length, export_kv(pool_, s->table)});
      release_all(pool_, s->table);
    } else {
      running_.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<GeneratedToken> Engine::decode() {
  std::vector<GeneratedToken> out;
  if (running_.empty()) return out;
  std::vector<SequenceChunk> chunks;
  for (auto& s : running_) {
    if (!reserve_positions(pool_, s->table, s->table.length + 1)) throw std::logic_error("gpt-serve: promised KV blocks missing");
    chunks.push_back({&s->table, &s->generated.back(), 1});
  }
  const float* logits = model_.forward(chunks, pool_);
  const int V = model_.config().vocab;
  std::vector<std::unique_ptr<Sequence>> still;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    auto& s = running_[i];
    const int index = static_cast<int>(s->generated.size());
    const int token = sample_token(logits + i * static_cast<std::size_t>(V), V, options_.sampling, s->request.id, index);
    s->generated.push_back(token);
    const bool last = index + 1 == s->request.max_new_tokens;
    out.push_back({s->request.id, token, index, last});
    if (last)
      release_all(pool_, s->table);
    else
      still.push_back(std::move(s));
  }
  running_ = std::move(still);
  return out;
}

long Engine::attended_positions() const {
  long n = 0;
  for (const auto& s : running_) n += static_cast<long>(s->request.prompt.size() + s->generated.size());
  return n;
}

std::vector<PrefillHandoff> Engine::take_handoffs() { return std::exchange(handoffs_, {}); }

}  // namespace orrery::serve
