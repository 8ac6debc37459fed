#include "sim/cluster_sim.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>

#include "gpt/rng.hpp"
#include "sim/event_queue.hpp"
#include "sim/jitter_process.hpp"

namespace orrery::sim {

void validate(const ClusterOptions& o) {
  validate(o.cost, o.shape);
  if (o.instances < 1) throw std::invalid_argument("--instances: must be at least 1");
  if (o.batch_limit < 1) throw std::invalid_argument("--batch_limit: must be at least 1");
  if (o.placement == "disaggregated") {
    if (o.prefill_instances < 1) throw std::invalid_argument("--prefill_instances: must be at least 1");
    if (o.prefill_instances >= o.instances)
      throw std::invalid_argument("--prefill_instances " + std::to_string(o.prefill_instances) + ": more prefill instances than the " +
                                  std::to_string(o.instances) +
                                  " instances allow (disaggregated serving needs at least one decode instance)");
  } else if (o.placement != "colocated") {
    throw std::invalid_argument("--placement: colocated or disaggregated, got '" + o.placement + "'");
  }
  if (o.dispatch != "least_loaded" && o.dispatch != "round_robin")
    throw std::invalid_argument("--dispatch: least_loaded or round_robin, got '" + o.dispatch + "'");
  if (o.iteration != "prefill_or_decode" && o.iteration != "prefill_then_decode")
    throw std::invalid_argument("--iteration: prefill_or_decode or prefill_then_decode, got '" + o.iteration + "'");
}

namespace {

enum class Role { both, prefill, decode };
enum class EventKind : std::uint8_t { arrival, iteration_done, transfer_done, wake };

struct Event {
  EventKind kind = EventKind::arrival;
  int instance = 0;
  int request = 0;
};

struct Instance {
  Role role = Role::both;
  std::deque<int> waiting;
  std::vector<int> prefilling, running;
  long kv_used = 0;
  long context = 0;  // KV tokens the running batch attends over
  int load = 0;      // requests assigned and not yet gone: waiting, in transfer to it, prefilling, running
  bool busy = false;
};

class Cluster {
 public:
  Cluster(const ClusterOptions& o, std::span<const serve::TraceEntry> requests)
      : o_(o), req_(requests), round_robin_(o.dispatch == "round_robin"), decode_after_prefill_(o.iteration == "prefill_then_decode") {
    capacity_ = kv_capacity_tokens(o.cost, o.shape);
    for (std::size_t i = 0; i < req_.size(); ++i) {
      const long need = static_cast<long>(req_[i].prompt_tokens) + req_[i].output_tokens;
      if (need > capacity_)
        throw std::invalid_argument("request " + std::to_string(i) + " needs " + std::to_string(need) +
                                    " tokens of KV cache, more than an instance holds (" + std::to_string(capacity_) + ")");
    }
    inst_.resize(static_cast<std::size_t>(o.instances));
    for (int i = 0; i < o.instances; ++i) {
      prefill_jitter_.emplace_back(o.cost.prefill_jitter, o.cost.prefill_jitter_runs, o.cost.jitter_block_steps);
      decode_jitter_.emplace_back(o.cost.decode_jitter, o.cost.decode_jitter_runs, o.cost.jitter_block_steps);
    }
    if (o.placement == "disaggregated")
      for (int i = 0; i < o.instances; ++i) inst_[static_cast<std::size_t>(i)].role = i < o.prefill_instances ? Role::prefill : Role::decode;
    result_.timings.resize(req_.size());
    result_.finishes.assign(req_.size(), 0);
    generated_.assign(req_.size(), 0);
    holder_.assign(req_.size(), -1);
    result_.stats.kv_capacity_tokens = capacity_;
  }

  SimResult run() {
    // Arrivals are scheduled one at a time (the next when one is taken), so the queue holds
    // about one event per instance, not one per request.
    if (!req_.empty()) events_.push(req_[0].arrival_s, {EventKind::arrival, 0, 0});
    while (!events_.empty()) {
      const auto e = events_.pop();
      ++result_.stats.events;
      const double now = e.time;
      switch (e.payload.kind) {
        case EventKind::arrival: on_arrival(e.payload.request, now); break;
        case EventKind::iteration_done: on_iteration_done(e.payload.instance, now); break;
        case EventKind::transfer_done: on_transfer_done(e.payload.instance, e.payload.request, now); break;
        case EventKind::wake:
          inst(e.payload.instance).busy = false;
          try_start(e.payload.instance, now);
          break;
      }
    }
    return std::move(result_);
  }

 private:
  long kv_need(int r) const { return static_cast<long>(req_[static_cast<std::size_t>(r)].prompt_tokens) + req_[static_cast<std::size_t>(r)].output_tokens; }
  const serve::TraceEntry& at(int r) const { return req_[static_cast<std::size_t>(r)]; }
  Instance& inst(int i) { return inst_[static_cast<std::size_t>(i)]; }

  // Where request r goes among the instances [first, last): round robin by its index, or
  // the least loaded, the lowest index among equals.
  int dispatch(int r, int first, int last) {
    if (round_robin_) return first + r % (last - first);
    int best = first;
    for (int i = first + 1; i < last; ++i)
      if (inst(i).load < inst(best).load) best = i;
    return best;
  }

  void on_arrival(int r, double now) {
    result_.timings[static_cast<std::size_t>(r)].arrival_s = at(r).arrival_s;
    result_.timings[static_cast<std::size_t>(r)].output_tokens = at(r).output_tokens;
    if (static_cast<std::size_t>(r) + 1 < req_.size()) events_.push(at(r + 1).arrival_s, {EventKind::arrival, 0, r + 1});
    const int last = o_.placement == "disaggregated" ? o_.prefill_instances : o_.instances;
    const int i = dispatch(r, 0, last);
    Instance& in = inst(i);
    const bool asleep = !in.busy && in.waiting.empty() && in.prefilling.empty() && in.running.empty();
    ++in.load;
    in.waiting.push_back(r);
    const auto& wake = o_.cost.wake_delay_s;
    if (asleep && !wake.empty()) {
      // An idle real rank sleeps; the OS wakes it late. What arrives meanwhile waits too.
      in.busy = true;
      events_.push(now + wake[static_cast<std::size_t>(rng_.next() % wake.size())], {EventKind::wake, i, -1});
      return;
    }
    try_start(i, now);
  }

  void reserve(int i, int r, long tokens) {
    Instance& in = inst(i);
    in.kv_used += tokens;
    result_.stats.max_kv_tokens = std::max(result_.stats.max_kv_tokens, in.kv_used);
    holder_[static_cast<std::size_t>(r)] = i;
  }

  void try_start(int i, double now) {
    Instance& in = inst(i);
    if (in.busy) return;
    const int batch = static_cast<int>(in.running.size());
    if (in.role != Role::decode) {
      // Prefill first: the waiting requests that fit the batch and the KV, in arrival order.
      long tokens = 0;
      double pairs = 0;
      while (!in.waiting.empty() && batch + static_cast<int>(in.prefilling.size()) < o_.batch_limit) {
        const int r = in.waiting.front();
        const long need = in.role == Role::prefill ? at(r).prompt_tokens : kv_need(r);
        if (in.kv_used + need > capacity_) break;
        in.waiting.pop_front();
        reserve(i, r, need);
        in.prefilling.push_back(r);
        tokens += at(r).prompt_tokens;
        pairs += attention_pairs(at(r).prompt_tokens);
      }
      if (!in.prefilling.empty()) {
        note_batch(batch + static_cast<int>(in.prefilling.size()));
        in.busy = true;
        events_.push(now + prefill_time(o_.cost, o_.shape, tokens, pairs) * prefill_jitter_[static_cast<std::size_t>(i)].next(rng_), {EventKind::iteration_done, i, -1});
        return;
      }
    } else {
      while (!in.waiting.empty() && static_cast<int>(in.running.size()) < o_.batch_limit) {
        const int r = in.waiting.front();
        if (in.kv_used + kv_need(r) > capacity_) break;
        in.waiting.pop_front();
        reserve(i, r, kv_need(r));
        join_running(in, r);
      }
    }
    if (!in.running.empty()) start_decode(i, now);
  }

  void start_decode(int i, double now) {
    Instance& in = inst(i);
    note_batch(static_cast<int>(in.running.size()));
    in.busy = true;
    events_.push(now + decode_step_time(o_.cost, o_.shape, static_cast<int>(in.running.size()), in.context) *
                           decode_jitter_[static_cast<std::size_t>(i)].next(rng_),
                 {EventKind::iteration_done, i, -1});
  }

  void note_batch(int b) { result_.stats.max_batch = std::max(result_.stats.max_batch, b); }

  void join_running(Instance& in, int r) {
    in.running.push_back(r);
    in.context += at(r).prompt_tokens + generated_[static_cast<std::size_t>(r)];
  }

  // Frees what instance i held for a request: its KV tokens and its place in the load.
  void release(int i, long kv_tokens) {
    inst(i).kv_used -= kv_tokens;
    --inst(i).load;
  }
  void finish(int r, double now) {
    result_.timings[static_cast<std::size_t>(r)].finish_s = now;
    ++result_.finishes[static_cast<std::size_t>(r)];
    result_.stats.output_tokens += at(r).output_tokens;
  }

  void on_iteration_done(int i, double now) {
    Instance& in = inst(i);
    in.busy = false;
    if (!in.prefilling.empty()) {
      for (const int r : in.prefilling) {
        result_.timings[static_cast<std::size_t>(r)].first_token_s = now;
        generated_[static_cast<std::size_t>(r)] = 1;
        if (in.role == Role::prefill) {
          if (at(r).output_tokens == 1) {
            release(i, at(r).prompt_tokens);
            finish(r, now);
            continue;
          }
          // The prompt's KV stays here until the transfer ends.
          const int d = dispatch(r, o_.prefill_instances, o_.instances);
          ++inst(d).load;
          events_.push(now + kv_transfer_time(o_.cost, at(r).prompt_tokens), {EventKind::transfer_done, d, r});
        } else if (at(r).output_tokens == 1) {
          release(i, kv_need(r));
          finish(r, now);
        } else {
          join_running(in, r);
        }
      }
      in.prefilling.clear();
      // gpt-serve's loop: the decode step of the same iteration, before anything is admitted.
      if (decode_after_prefill_ && !in.running.empty()) {
        start_decode(i, now);
        return;
      }
    } else {
      std::size_t kept = 0;
      for (std::size_t k = 0; k < in.running.size(); ++k) {
        const int r = in.running[k];
        int& g = generated_[static_cast<std::size_t>(r)];
        ++g;
        ++in.context;
        if (g == at(r).output_tokens) {
          in.context -= at(r).prompt_tokens + g;
          release(i, kv_need(r));
          finish(r, now);
        } else {
          in.running[kept++] = r;
        }
      }
      in.running.resize(kept);
    }
    try_start(i, now);
  }

  void on_transfer_done(int d, int r, double now) {
    const int p = holder_[static_cast<std::size_t>(r)];
    release(p, at(r).prompt_tokens);
    inst(d).waiting.push_back(r);
    try_start(p, now);  // the freed KV may admit a waiting prefill
    try_start(d, now);
  }

  const ClusterOptions& o_;
  std::span<const serve::TraceEntry> req_;
  const bool round_robin_, decode_after_prefill_;
  gpt::Rng rng_{o_.jitter_seed};
  long capacity_ = 0;
  std::vector<Instance> inst_;
  std::vector<JitterProcess> prefill_jitter_, decode_jitter_;  // by instance
  std::vector<int> generated_, holder_;
  EventQueue<Event> events_;
  SimResult result_;
};

}  // namespace

SimResult simulate(const ClusterOptions& options, std::span<const serve::TraceEntry> requests) {
  validate(options);
  return Cluster(options, requests).run();
}

}  // namespace orrery::sim
