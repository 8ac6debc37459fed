#include "sim/cluster_sim.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>

#include "gpt/rng.hpp"
#include "sim/event_queue.hpp"
#include "sim/jitter_process.hpp"
#include "sim/kv_spanning.hpp"
#include "sim/link_sharing.hpp"

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
  if (!(o.kv_span_hop_s >= 0) || !std::isfinite(o.kv_span_hop_s)) throw std::invalid_argument("--kv_span_hop_ms: must not be negative");
  if (o.link_sharing && o.placement != "disaggregated")
    throw std::invalid_argument("--link_sharing: only disaggregated placement moves KV between instances");
}

namespace {

enum class Role { both, prefill, decode };
enum class EventKind : std::uint8_t { arrival, iteration_done, transfer_done, wake, link_check };

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
      if (need > capacity_ && !o.kv_spanning)
        throw std::invalid_argument("request " + std::to_string(i) + " needs " + std::to_string(need) +
                                    " tokens of KV cache, more than an instance holds (" + std::to_string(capacity_) + ")");
      if (o.kv_spanning) refuse_beyond_cluster(static_cast<int>(i));
    }
    result_.stats.instance_max_kv_tokens.assign(static_cast<std::size_t>(o.instances), 0);
    if (o.kv_spanning) span_.resize(req_.size());
    if (o.kv_spanning && o.kv_span_drain) {
      drained_roles_.assign(3, 0);
      awaiting_loan_.assign(static_cast<std::size_t>(o.instances), 0);
    }
    if (o.link_sharing) {
      links_.emplace(o.instances, o.cost.kv_bandwidth_bytes_per_s);
      transfer_to_.assign(req_.size(), -1);
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
    transfer_start_.assign(req_.size(), 0.0);
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
        case EventKind::link_check: on_link_check(e.payload.request, now); break;
      }
      while (memory_freed_) retry_admissions(now);  // again when a drain ended meanwhile
    }
    note_end_of_run();
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
    note_kv(i);
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
        if (!admit_kv(i, r, need)) break;
        in.waiting.pop_front();
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
        if (!admit_kv(i, r, kv_need(r))) break;
        in.waiting.pop_front();
        join_running(in, r);
      }
    }
    if (!in.running.empty()) start_decode(i, now);
  }

  void start_decode(int i, double now) {
    Instance& in = inst(i);
    note_batch(static_cast<int>(in.running.size()));
    in.busy = true;
    const StepWork work = span_.empty() ? StepWork{in.context, 0.0} : spanned_step_work(i);
    events_.push(now + decode_step_time(o_.cost, o_.shape, static_cast<int>(in.running.size()), work.context) *
                           decode_jitter_[static_cast<std::size_t>(i)].next(rng_) +
                     work.remote_s,
                 {EventKind::iteration_done, i, -1});
  }

  void note_batch(int b) { result_.stats.max_batch = std::max(result_.stats.max_batch, b); }

  void join_running(Instance& in, int r) {
    in.running.push_back(r);
    in.context += at(r).prompt_tokens + generated_[static_cast<std::size_t>(r)];
  }

  // Frees what instance i held for request r: its KV tokens (and what r borrowed elsewhere)
  // and its place in the load.
  void release(int i, int r, long kv_tokens) {
    if (!span_.empty() && !span_[static_cast<std::size_t>(r)].loans.empty()) kv_tokens = return_loans(r);
    inst(i).kv_used -= kv_tokens;
    --inst(i).load;
    if (!retry_admission_.empty()) memory_freed_ = true;
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
            release(i, r, at(r).prompt_tokens);
            finish(r, now);
            continue;
          }
          // The prompt's KV stays here until the transfer ends.
          const int d = dispatch(r, o_.prefill_instances, o_.instances);
          ++inst(d).load;
          start_transfer(i, d, r, now);
        } else if (at(r).output_tokens == 1) {
          release(i, r, kv_need(r));
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
          release(i, r, kv_need(r));
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
    result_.stats.kv_transfer_s.push_back(now - transfer_start_[static_cast<std::size_t>(r)]);
    const int p = holder_[static_cast<std::size_t>(r)];
    release(p, r, at(r).prompt_tokens);
    inst(d).waiting.push_back(r);
    try_start(p, now);  // the freed KV may admit a waiting prefill
    try_start(d, now);
  }

  // --- KV spanning (kv_spanning.hpp) and shared links (link_sharing.hpp) ---

  void note_kv(int i) {
    const long used = inst(i).kv_used;
    result_.stats.max_kv_tokens = std::max(result_.stats.max_kv_tokens, used);
    auto& most = result_.stats.instance_max_kv_tokens[static_cast<std::size_t>(i)];
    most = std::max(most, used);
  }

  // The instances [first, last) of a role: where a request's KV may go.
  std::pair<int, int> role_range(Role role) const {
    if (role == Role::prefill) return {0, o_.prefill_instances};
    if (role == Role::decode) return {o_.prefill_instances, o_.instances};
    return {0, o_.instances};
  }

  // With spanning, a request is refused only when the instances of a role it passes through
  // could not hold it even all together and empty.
  void refuse_beyond_cluster(int r) {
    const bool disaggregated = o_.placement == "disaggregated";
    const auto check = [&](Role role, long need, const char* what) {
      const auto [first, last] = role_range(role);
      if (need > capacity_ * (last - first))
        throw std::invalid_argument("request " + std::to_string(r) + " needs " + std::to_string(need) + " tokens of KV cache" + what +
                                    ", more than the " + std::to_string(last - first) + " instances that could hold it hold together (" +
                                    std::to_string(capacity_ * (last - first)) + "), even with kv_spanning");
    };
    if (disaggregated) {
      check(Role::prefill, at(r).prompt_tokens, " for its prompt");
      check(Role::decode, kv_need(r), "");
    } else {
      check(Role::both, kv_need(r), "");
    }
  }

  // Reserves `need` tokens of KV for request r on instance i, borrowing on the other instances
  // of its role when r is larger than an instance; false when it must wait.
  bool admit_kv(int i, int r, long need) {
    // kv_span_drain: the instances of a role where a long request waits for KV to borrow admit
    // nothing new meanwhile, so their KV frees up for it.
    if (!drained_roles_.empty() && drained_roles_[static_cast<std::size_t>(inst(i).role)] > 0 && !awaiting_loan_[static_cast<std::size_t>(i)])
      return false;
    if (inst(i).kv_used + need <= capacity_) {
      reserve(i, r, need);
      return true;
    }
    if (span_.empty() || need <= capacity_) return false;
    const auto [first, last] = role_range(inst(i).role);
    free_.resize(inst_.size());
    for (std::size_t k = 0; k < inst_.size(); ++k) free_[k] = capacity_ - inst_[k].kv_used;
    auto plan = plan_span(free_, i, first, last, need);
    if (!plan) {
      retry_admission_.push_back(i);  // retried when KV is freed anywhere
      if (!drained_roles_.empty() && !awaiting_loan_[static_cast<std::size_t>(i)]) {
        awaiting_loan_[static_cast<std::size_t>(i)] = 1;
        ++drained_roles_[static_cast<std::size_t>(inst(i).role)];
      }
      return false;
    }
    if (!drained_roles_.empty() && awaiting_loan_[static_cast<std::size_t>(i)]) {
      awaiting_loan_[static_cast<std::size_t>(i)] = 0;
      // The drained instances admit again once no long request of their role waits.
      if (--drained_roles_[static_cast<std::size_t>(inst(i).role)] == 0) {
        for (int k = first; k < last; ++k) retry_admission_.push_back(k);
        memory_freed_ = true;
      }
    }
    reserve(i, r, plan->local);
    for (const auto& loan : plan->loans) {
      inst(loan.creditor).kv_used += loan.tokens;
      note_kv(loan.creditor);
    }
    const long borrowed = plan->borrowed();
    lent_ += borrowed;
    auto& st = result_.stats;
    ++st.spanning_requests;
    st.kv_borrowed_tokens += borrowed;
    st.max_kv_lent_tokens = std::max(st.max_kv_lent_tokens, lent_);
    span_[static_cast<std::size_t>(r)] = std::move(*plan);
    spanning_.push_back(r);
    return true;
  }

  // Gives back every block request r borrowed; returns the tokens it held on its own instance.
  long return_loans(int r) {
    auto& span = span_[static_cast<std::size_t>(r)];
    for (const auto& loan : span.loans) {
      inst(loan.creditor).kv_used -= loan.tokens;
      retry_admission_.push_back(loan.creditor);  // an idle creditor may now admit what waits there
    }
    lent_ -= span.borrowed();
    const long local = span.local;
    span = {};
    spanning_.erase(std::find(spanning_.begin(), spanning_.end(), r));
    memory_freed_ = true;
    return local;
  }

  // Instances whose next request waits for KV to borrow, and creditors given their KV back, try
  // to admit again (in index order) once KV was freed.
  void retry_admissions(double now) {
    memory_freed_ = false;
    std::vector<int> retry;
    retry.swap(retry_admission_);
    std::sort(retry.begin(), retry.end());
    retry.erase(std::unique(retry.begin(), retry.end()), retry.end());
    for (const int i : retry) try_start(i, now);
  }

  struct StepWork {
    long context = 0;    // KV tokens the instance's step attends over itself
    double remote_s = 0; // the slowest creditor's hop and micro-attention, waited for
  };

  // A decode step of instance i with spanning requests about: its batch attends locally only
  // over the debtor parts of its spanning requests, waits for their creditors, and attends
  // over what it lends to requests decoding elsewhere.
  StepWork spanned_step_work(int i) {
    StepWork w{inst(i).context, 0.0};
    remote_tokens_.assign(inst_.size(), 0);
    for (const int r : spanning_) {
      const int debtor = holder_[static_cast<std::size_t>(r)];
      // Decoding: prefilled and held by an instance that decodes (a prefill instance's loan
      // holds a prompt waiting for its transfer).
      if (generated_[static_cast<std::size_t>(r)] < 1 || inst(debtor).role == Role::prefill) continue;
      const auto& span = span_[static_cast<std::size_t>(r)];
      const long context = at(r).prompt_tokens + generated_[static_cast<std::size_t>(r)];
      for (std::size_t k = 0; k < span.loans.size(); ++k) {
        const long attended = attended_on_loan(span, k, context);
        if (debtor == i) {
          w.context -= attended;
          remote_tokens_[static_cast<std::size_t>(span.loans[k].creditor)] += attended;
        } else if (span.loans[k].creditor == i) {
          w.context += attended;
        }
      }
    }
    for (std::size_t c = 0; c < inst_.size(); ++c)
      if (remote_tokens_[c] > 0) w.remote_s = std::max(w.remote_s, o_.kv_span_hop_s + micro_attention_time(o_.cost, o_.shape, remote_tokens_[c]));
    return w;
  }

  // Request r's prompt KV leaves prefill instance p for decode instance d: at the link's
  // bandwidth, or sharing the two instances' links with the other transfers on them.
  void start_transfer(int p, int d, int r, double now) {
    transfer_start_[static_cast<std::size_t>(r)] = now;
    if (!links_) {
      events_.push(now + kv_transfer_time(o_.cost, at(r).prompt_tokens), {EventKind::transfer_done, d, r});
      return;
    }
    transfer_to_[static_cast<std::size_t>(r)] = d;
    // The fixed cost per transfer occupies the links as bytes at full bandwidth would (a stated
    // simplification: shared too, rather than a separate delay before the bytes move).
    links_->start(now, r, p, d,
                  o_.cost.kv_bytes_per_token * static_cast<double>(at(r).prompt_tokens) +
                      o_.cost.kv_transfer_fixed_s * o_.cost.kv_bandwidth_bytes_per_s);
    schedule_link_check();
  }

  // One pending check, at the earliest end of a transfer at the present rates; a start or end
  // changes the rates, so a check scheduled before it (an older version) is ignored.
  void schedule_link_check() {
    ++link_version_;
    const double t = links_->next_finish();
    if (t < std::numeric_limits<double>::infinity()) events_.push(t, {EventKind::link_check, -1, link_version_});
  }

  void on_link_check(int version, double now) {
    if (version != link_version_) return;
    for (const int r : links_->finish_due(now)) on_transfer_done(transfer_to_[static_cast<std::size_t>(r)], r, now);
    schedule_link_check();
  }

  void note_end_of_run() {
    auto& st = result_.stats;
    st.instance_kv_at_end.clear();
    for (const auto& in : inst_) st.instance_kv_at_end.push_back(in.kv_used);
    st.kv_lent_at_end = lent_;
    if (links_) {
      st.link_bytes_started = links_->bytes_started();
      st.link_bytes_delivered = links_->bytes_delivered();
    }
  }

  const ClusterOptions& o_;
  std::span<const serve::TraceEntry> req_;
  const bool round_robin_, decode_after_prefill_;
  gpt::Rng rng_{o_.jitter_seed};
  long capacity_ = 0;
  std::vector<Instance> inst_;
  std::vector<JitterProcess> prefill_jitter_, decode_jitter_;  // by instance
  std::vector<int> generated_, holder_;
  std::vector<double> transfer_start_;  // by request: when its KV transfer started
  EventQueue<Event> events_;
  SimResult result_;
  // KV spanning: each request's span (only when kv_spanning is on), the requests holding a
  // loan, the instances to retry admitting on when KV is freed, the tokens lent now.
  std::vector<KvSpan> span_;
  std::vector<int> spanning_, retry_admission_;
  std::vector<long> free_, remote_tokens_;  // scratch
  // kv_span_drain: by role, the instances whose next request waits for KV to borrow; by
  // instance, whether it is one of them. Empty when off.
  std::vector<int> drained_roles_;
  std::vector<char> awaiting_loan_;
  long lent_ = 0;
  bool memory_freed_ = false;
  // Shared links: the transfers in flight and where each goes (only when link_sharing is on).
  std::optional<SharedLinks> links_;
  std::vector<int> transfer_to_;
  int link_version_ = 0;
};

}  // namespace

SimResult simulate(const ClusterOptions& options, std::span<const serve::TraceEntry> requests) {
  validate(options);
  return Cluster(options, requests).run();
}

}  // namespace orrery::sim
