#include "serving_run.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <orrery/runtime.hpp>

#include "gpt/checkpoint.hpp"
#include "gpt/model.hpp"
#include "gpt/prepared_corpus.hpp"
#include "gpt/rng.hpp"
#include "gpt/tokenizer.hpp"
#include "live_prompts.hpp"
#include "serve/engine.hpp"
#include "serve/probe_schedule.hpp"
#include "serve/serve_metrics.hpp"
#include "serve/speed_probe.hpp"
#include "serve/workload.hpp"

namespace orrery::serve {

namespace {

namespace fs = std::filesystem;

constexpr int kHeaderTag = 71, kKvTag = 72;

// The project's folder (<project>/runs/<id> is the run's); empty without an agent.
fs::path project_dir() {
  const std::string run = orrery::run_dir();
  return run.empty() ? fs::path() : fs::path(run).parent_path().parent_path();
}

// A relative path of the spec (runs/<id>/checkpoints/step-0000300.h5) names a file of the
// project, whatever folder the worker runs in.
std::string project_file(const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || project_dir().empty()) return path;
  return (project_dir() / path).string();
}

// gpt-train's cache (tokenizers and token files) of the project, so serving a checkpoint of
// a run of this project finds the corpus already encoded.
std::string corpus_cache_dir(const ServeOptions& o) {
  if (!o.cache_dir.empty()) return o.cache_dir;
  return project_dir().empty() ? std::string("gpt-train-cache") : (project_dir() / "cache" / "gpt-train").string();
}

// The checkpoint's shape, refused when a field the spec names differs.
gpt::ModelConfig checked_model_config(const ServeOptions& o) {
  const gpt::ModelConfig have = gpt::checkpoint_model_config(o.checkpoint);
  for (auto [name, want, got] : {std::tuple{"vocab", o.expect.vocab, have.vocab}, std::tuple{"context", o.expect.context, have.context},
                                 std::tuple{"layers", o.expect.layers, have.layers}, std::tuple{"heads", o.expect.heads, have.heads},
                                 std::tuple{"channels", o.expect.channels, have.channels}})
    if (want != 0 && want != got)
      throw std::invalid_argument("checkpoint " + o.checkpoint + " has " + name + " " + std::to_string(got) +
                                  ", the spec asks for " + std::to_string(want));
  return have;
}

// Seconds since the workload's start, the same instant on every rank.
struct Clock {
  double t0 = 0;
  double now() const { return orrery::now() - t0; }
  double epoch(double t) const { return t0 + t; }
};

constexpr double kNever = std::numeric_limits<double>::infinity();
// How often an idle decode rank looks for a sequence while it waits to be probed.
constexpr double kIdlePoll_s = 2e-4;

void sleep_until(const Clock& clock, double t) {
  const double wait = std::min(t - clock.now(), 0.05);
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

// What this rank saw of the requests it finished (or started, for TTFT on a prefill rank).
class RequestLog {
 public:
  RequestLog(const std::vector<Request>& all, const Slo& slo) : all_(all), slo_(slo) {}

  void tokens(const std::vector<GeneratedToken>& produced, double t) {
    for (const auto& g : produced) {
      auto& r = open_[g.request];
      if (g.index == 0) {
        r.timing.arrival_s = all_[static_cast<std::size_t>(g.request)].arrival_s;
        r.timing.first_token_s = t;
      }
      r.digest = gpt::mix64(r.digest ^ static_cast<std::uint64_t>(g.token + 1));
      if (g.last) finish(g.request, g.index + 1, t);
    }
  }
  // A sequence adopted from a prefill rank: its first token and its time travel with it.
  void adopted(std::int64_t id, int first_token, double first_token_s) {
    tokens({{id, first_token, 0, false}}, first_token_s);
  }
  std::size_t finished() const { return done_.size() / kFields; }
  // Prompt tokens of the workload's requests whose first tokens these are (a prefill batch's
  // size), and the pairs their causal attention computes.
  std::pair<long, double> prompt_tokens(const std::vector<GeneratedToken>& first) const {
    std::pair<long, double> work{0, 0.0};
    for (const auto& g : first)
      if (!LivePrompts::is_prompt(g.request)) add_prefill_work(work, all_[static_cast<std::size_t>(g.request)].prompt.size());
    return work;
  }
  const std::vector<double>& rows() const { return done_; }
  static constexpr int kFields = 6;  // id, arrival, first token, finish, output tokens, digest

 private:
  struct Open {
    RequestTiming timing;
    std::uint64_t digest = 0;
  };
  void finish(std::int64_t id, int count, double t) {
    auto& r = open_[id];
    r.timing.finish_s = t;
    r.timing.output_tokens = count;
    // 48 bits: a double holds them exactly, so run.h5 keeps the digest as it was computed.
    const double digest = static_cast<double>(r.digest >> 16);
    m_ttft_.log(id, ttft(r.timing));
    m_tpot_.log(id, tpot(r.timing));
    m_e2e_.log(id, e2e_latency(r.timing));
    m_digest_.log(id, digest);
    m_met_.log(id, meets(r.timing, slo_) ? 1.0 : 0.0);  // attainment live, before rank 0's aggregate
    done_.insert(done_.end(), {static_cast<double>(id), r.timing.arrival_s, r.timing.first_token_s, t,
                               static_cast<double>(count), digest});
    open_.erase(id);
  }
  const std::vector<Request>& all_;
  const Slo slo_;
  std::map<std::int64_t, Open> open_;
  std::vector<double> done_;
  const orrery::Metric m_ttft_{"ttft_s"}, m_tpot_{"tpot_s"}, m_e2e_{"e2e_s"}, m_digest_{"output_digest"}, m_met_{"slo_met"};
};

// Live gauges of one rank's engine, one point per engine iteration; with them, what each
// iteration computed beside its spans (same step): the prompt tokens of its prefill batch and
// their causal attention pairs, the sequences and KV positions of its decode step. serve-sim's
// calibration fits its cost model to these and the spans' durations.
struct Gauges {
  const orrery::Metric queue{"queue_length"}, batch{"running_batch"}, kv{"kv_occupancy"};
  const orrery::Metric prefill_tokens{"prefill_tokens"}, prefill_pairs{"prefill_attention_pairs"};
  const orrery::Metric decode_batch{"decode_batch"}, decode_context{"decode_context_tokens"};
  std::int64_t step = 0;
  void log(const Engine& e, std::size_t extra_waiting = 0) {
    queue.log(step, static_cast<double>(e.waiting() + extra_waiting));
    batch.log(step, static_cast<double>(e.running()));
    kv.log(step, e.pool().occupancy());
    ++step;
  }
};

// The machine's speed as this rank saw it: the speed probe, run every speed_probe_ms of wall
// time where no request waits on it and the rank has settled into an idle stretch (an idle
// rank wakes for it; a busy one is probed between iterations at most every 0.25 s:
// probe_schedule.hpp), logged as speed_probe_s (step: the probe's index, time: when it ran);
// with it the rank thread's time on the CPU and time waiting for one since the previous probe
// (cpu_running_s, cpu_waiting_s: the share of the core others took). serve-sim scales a fit by
// them (speed_of). Their cost is reported at the end as speed_probe_share.
class SpeedProbing {
 public:
  explicit SpeedProbing(double interval_ms) : schedule_(interval_ms / 1e3), last_(read_thread_cpu_account()) {}
  // The rank is idle, with nothing to do before next_work (seconds on clock; kNever: not
  // known). Probes if it is time; returns when the rank should wake for the next probe
  // (kNever: not before next_work).
  double idle(const Clock& clock, double next_work) {
    const double t = clock.now();
    if (schedule_.idle(t, next_work)) run(t);
    return schedule_.wake(next_work);
  }
  // Before an iteration of a rank with work waiting.
  void busy(const Clock& clock) {
    const double t = clock.now();
    if (schedule_.busy(t)) run(t);
  }
  std::int64_t count() const { return count_; }
  // The probes' share of the rank's serving time (from the start to now).
  void report(const Clock& clock) const {
    if (count_ > 0) orrery::metric("speed_probe_share", 0, total_s_ / std::max(clock.now(), 1e-9));
  }

 private:
  void run(double t) {
    const double seconds = probe_.run();
    // Logged at once: the point's time stamp is then the probe's end (a preemption before the
    // stamp would move it), which is how the calibration test checks where probes ran.
    probe_s_.log(count_, seconds);
    schedule_.ran(t);
    const auto account = read_thread_cpu_account();
    if (account && last_) {
      running_.log(count_, account->running_s - last_->running_s);
      waiting_.log(count_, account->waiting_s - last_->waiting_s);
    }
    last_ = account;
    ++count_;
    total_s_ += seconds;
  }

  SpeedProbe probe_;
  ProbeSchedule schedule_;
  std::optional<ThreadCpuAccount> last_;
  const orrery::Metric probe_s_{"speed_probe_s"}, running_{"cpu_running_s"}, waiting_{"cpu_waiting_s"};
  std::int64_t count_ = 0;
  double total_s_ = 0;
};

// One prefill and one decode step of an engine, with their spans; returns whether it did work.
// Interactive prompts in the batch (rank 0: prompts not null) count in the gauges, as work
// the iteration did; their tokens are streamed, never logged as the workload's.
bool engine_iteration(Engine& engine, RequestLog& log, const Clock& clock, const Gauges& gauges, LivePrompts* prompts) {
  auto workload = [prompts](const std::vector<GeneratedToken>& tokens) { return prompts ? prompts->stream(tokens) : tokens; };
  const std::int64_t step = gauges.step;
  const double p0 = clock.now();
  const auto first = engine.prefill();
  const double p1 = clock.now();
  if (!first.empty()) {
    orrery::span("compute", "prefill", step, clock.epoch(p0), clock.epoch(p1));
    auto work = log.prompt_tokens(first);
    if (prompts) {
      const auto [tokens, pairs] = prompts->prompt_tokens(first);
      work.first += tokens;
      work.second += pairs;
    }
    gauges.prefill_tokens.log(step, static_cast<double>(work.first));
    gauges.prefill_pairs.log(step, work.second);
    log.tokens(workload(first), p1);
  }
  const auto batch = engine.running();
  const auto context = engine.attended_positions();
  const auto next = engine.decode();
  const double d1 = clock.now();
  if (!next.empty()) {
    orrery::span("compute", "decode", step, clock.epoch(p1), clock.epoch(d1));
    gauges.decode_batch.log(step, static_cast<double>(batch));
    gauges.decode_context.log(step, static_cast<double>(context));
    log.tokens(workload(next), d1);
  }
  return !first.empty() || !next.empty();
}

// A rank's share of the arrivals: submits them as they arrive, and sleeps while it has nothing
// to do. The OS wakes a sleeping rank late (0.1 ms typically, milliseconds when other processes
// hold the cores), which a request arriving at an idle rank waits on top of its prefill:
// wake_delay_s logs it, from the arrival of the first request admitted after a sleep to its
// admission (step: the engine iteration that serves it), for serve-sim's calibration.
class Arrivals {
 public:
  explicit Arrivals(const std::vector<const Request*>& mine) : mine_(mine) {}
  // Submits the requests that have arrived by now; returns how many remain.
  std::size_t admit(Engine& engine, const Clock& clock, std::int64_t step) {
    const std::size_t first = next_;
    const double t = clock.now();
    while (next_ < mine_.size() && mine_[next_]->arrival_s <= t) engine.submit(*mine_[next_++]);
    if (slept_ && next_ > first) {
      wake_delay_.log(step, t - mine_[first]->arrival_s);
      slept_ = false;
    }
    return mine_.size() - next_;
  }
  // When the next request arrives (infinity: none is left).
  double next_arrival() const {
    return next_ < mine_.size() ? mine_[next_]->arrival_s : kNever;
  }
  // Sleeps until the next arrival, or until wake_by (the next speed probe) if that is sooner.
  void sleep(const Clock& clock, double wake_by) {
    sleep_until(clock, std::min(next_arrival(), wake_by));
    slept_ = true;
  }
  // Something else (an interactive prompt) woke the rank: the next admission's wait is not
  // the OS's wake-up.
  void woken() { slept_ = false; }

 private:
  const std::vector<const Request*>& mine_;
  std::size_t next_ = 0;
  bool slept_ = false;
  const orrery::Metric wake_delay_{"wake_delay_s"};
};

// Takes the interactive prompts that have arrived (rank 0) and the workload's arrivals; returns
// whether the rank has more to do (arrivals to come or an engine that is not idle).
bool admit_all(Engine& engine, Arrivals& arrivals, LivePrompts* prompts, const Clock& clock, std::int64_t step) {
  if (prompts && prompts->take(engine) > 0) arrivals.woken();
  return arrivals.admit(engine, clock, step) > 0 || !engine.idle();
}

void serve_colocated(Engine& engine, const std::vector<const Request*>& mine, RequestLog& log, const Clock& clock,
                     LivePrompts* prompts, SpeedProbing& probing) {
  Gauges gauges;
  Arrivals arrivals(mine);
  while (admit_all(engine, arrivals, prompts, clock, gauges.step)) {
    if (engine.idle()) {
      arrivals.sleep(clock, probing.idle(clock, arrivals.next_arrival()));
      continue;
    }
    probing.busy(clock);
    engine_iteration(engine, log, clock, gauges, prompts);
    gauges.log(engine);
    orrery::progress(static_cast<double>(log.finished()), static_cast<double>(mine.size()));
  }
}

// A prefill rank: prefills its share, sends each prefilled sequence to its decode rank.
// Rank 0's interactive prompts (prompts not null) stay in its batch: prefilled and decoded here.
void serve_prefill(Engine& engine, const std::vector<const Request*>& mine, RequestLog& log, const Clock& clock,
                   int prefill_ranks, int decode_ranks, MPI_Comm comm, LivePrompts* prompts, SpeedProbing& probing) {
  struct Outgoing {
    std::array<double, 4> header;  // id, first token, cached length, first token time
    std::vector<float> kv;
    std::array<MPI_Request, 2> requests;
    double posted;
  };
  std::list<Outgoing> in_flight;
  auto reap = [&](bool wait) {
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      int done = 0;
      if (wait)
        MPI_Waitall(2, it->requests.data(), MPI_STATUSES_IGNORE), done = 1;
      else
        MPI_Testall(2, it->requests.data(), &done, MPI_STATUSES_IGNORE);
      if (!done) {
        ++it;
        continue;
      }
      orrery::span("comm", "kv send", static_cast<std::int64_t>(it->header[0]), clock.epoch(it->posted), orrery::now());
      it = in_flight.erase(it);
    }
  };
  Gauges gauges;
  Arrivals arrivals(mine);
  while (admit_all(engine, arrivals, prompts, clock, gauges.step)) {
    if (engine.idle()) {
      reap(false);
      arrivals.sleep(clock, probing.idle(clock, arrivals.next_arrival()));
      continue;
    }
    probing.busy(clock);
    engine_iteration(engine, log, clock, gauges, prompts);
    gauges.log(engine);
    for (auto& h : engine.take_handoffs()) {
      const int to = prefill_ranks + static_cast<int>(h.request.id % decode_ranks);
      auto& out = in_flight.emplace_back();
      out.header = {static_cast<double>(h.request.id), static_cast<double>(h.first_token), static_cast<double>(h.length),
                    clock.now()};
      out.kv = std::move(h.kv);
      out.posted = out.header[3];
      MPI_Isend(out.header.data(), 4, MPI_DOUBLE, to, kHeaderTag, comm, &out.requests[0]);
      MPI_Isend(out.kv.data(), static_cast<int>(out.kv.size()), MPI_FLOAT, to, kKvTag, comm, &out.requests[1]);
    }
    reap(false);
  }
  reap(true);
}

// A decode rank: adopts the sequences prefill ranks send it, decodes them in its batch.
void serve_decode(Engine& engine, const std::vector<Request>& all, std::size_t expected, RequestLog& log, const Clock& clock,
                  MPI_Comm comm, KvBlockPool& pool, SpeedProbing& probing) {
  Gauges gauges;
  std::list<PrefillHandoff> pending;  // received, waiting for room in the batch
  std::size_t received = 0;
  const orrery::Metric m_transfer("kv_transfer_s");
  const orrery::Metric m_transfer_bytes("kv_transfer_bytes");  // what the transfer span moved, for calibration
  auto receive = [&](const MPI_Status& probed) {
    std::array<double, 4> header{};
    const double r0 = orrery::now();
    MPI_Recv(header.data(), 4, MPI_DOUBLE, probed.MPI_SOURCE, kHeaderTag, comm, MPI_STATUS_IGNORE);
    PrefillHandoff h;
    h.request = all.at(static_cast<std::size_t>(header[0]));
    h.first_token = static_cast<int>(header[1]);
    h.length = static_cast<int>(header[2]);
    h.kv.resize(kv_floats(pool, h.length));
    MPI_Recv(h.kv.data(), static_cast<int>(h.kv.size()), MPI_FLOAT, probed.MPI_SOURCE, kKvTag, comm, MPI_STATUS_IGNORE);
    orrery::span("comm", "kv transfer", h.request.id, r0, orrery::now());
    // From the prefill's end to the cache being here: the transfer as the request lived it.
    m_transfer.log(h.request.id, clock.now() - header[3]);
    m_transfer_bytes.log(h.request.id, static_cast<double>(h.kv.size() * sizeof(float)));
    log.adopted(h.request.id, h.first_token, header[3]);
    pending.push_back(std::move(h));
    ++received;
  };
  while (received < expected || !pending.empty() || !engine.idle()) {
    MPI_Status status;
    int flag = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, kHeaderTag, comm, &flag, &status);
    if (!flag && engine.idle() && pending.empty()) {
      // Nothing to do until a prefill rank sends a sequence. MPI has no probe with a timeout:
      // poll until this idle stretch's speed probe has run (or the probe is off), then block.
      const std::int64_t probes = probing.count();
      for (double wake = probing.idle(clock, kNever); !flag && probing.count() == probes && wake < kNever;
           wake = probing.idle(clock, kNever)) {
        sleep_until(clock, std::min(wake, clock.now() + kIdlePoll_s));
        MPI_Iprobe(MPI_ANY_SOURCE, kHeaderTag, comm, &flag, &status);
      }
      if (!flag) MPI_Probe(MPI_ANY_SOURCE, kHeaderTag, comm, &status);
      flag = 1;
    }
    if (flag) receive(status);
    while (!pending.empty() && engine.can_adopt(pending.front())) {
      engine.adopt(pending.front());
      pending.pop_front();
    }
    if (!engine.idle()) {
      probing.busy(clock);
      engine_iteration(engine, log, clock, gauges, nullptr);
      gauges.log(engine, pending.size());
    }
    orrery::progress(static_cast<double>(log.finished()), static_cast<double>(expected));
  }
}

// After the workload, rank 0 answers `orrery prompt` for `seconds` (and the prompts that never
// fit the workload's KV cache) with an engine of its own: batch 1, the run's sampling, a
// cache that holds a whole context.
void answer_prompts(const gpt::Gpt& model, const ServeOptions& o, double seconds, LivePrompts& prompts) {
  const int context = model.config().context;
  KvBlockPool pool((context + 15) / 16, 16, model.config().layers, model.config().channels);
  Engine engine(model, pool, {1, o.sampling, false});
  prompts.submit_waiting(engine);
  const double end = orrery::now() + seconds;
  while (orrery::now() < end || !engine.idle()) {
    prompts.take(engine);
    if (engine.idle()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    auto tokens = engine.prefill();
    if (tokens.empty()) tokens = engine.decode();
    prompts.stream(tokens);
  }
}

}  // namespace

void serve(const ServeOptions& options, MPI_Comm comm) {
  ServeOptions o = options;
  o.checkpoint = project_file(o.checkpoint);
  o.workload.trace = project_file(o.workload.trace);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const bool disaggregated = o.placement == "disaggregated";
  if (disaggregated && o.prefill_ranks >= ranks)
    throw std::invalid_argument("--prefill_ranks " + std::to_string(o.prefill_ranks) + ": more prefill ranks than the " +
                                std::to_string(ranks) + " ranks allow (disaggregated serving needs at least one decode rank)");
  omp_set_num_threads(o.threads);
  openblas_set_num_threads(o.threads);

  const double load0 = orrery::now();
  const gpt::ModelConfig mc = checked_model_config(o);
  gpt::Gpt model(mc);
  const gpt::TrainingState state = gpt::load_model_weights(o.checkpoint, model);
  orrery::span("io", "load checkpoint", 0, load0, orrery::now());

  // Prompts are windows of the corpus's validation tokens, encoded with the checkpoint's tokenizer.
  const double prep0 = orrery::now();
  const gpt::CorpusOptions co{o.corpus, corpus_cache_dir(o), mc.vocab, o.val_every, state.tokenizer};
  gpt::PreparedCorpus corpus;
  if (rank == 0) corpus = gpt::prepare_corpus(co);
  MPI_Barrier(comm);
  if (rank != 0) corpus = gpt::prepare_corpus(co);
  orrery::span("io", "prepare corpus", 0, prep0, orrery::now());
  const std::vector<Request> all = generate_workload(o.workload, corpus.val);

  KvBlockPool pool(o.kv_blocks, o.block_size, mc.layers, mc.channels);
  const int prefill_ranks = disaggregated ? o.prefill_ranks : 0, decode_ranks = ranks - prefill_ranks;
  const bool prefills = !disaggregated || rank < prefill_ranks;
  Engine engine(model, pool, {o.batch_limit, o.sampling, disaggregated && prefills});
  for (const auto& r : all) engine.check(r);  // every rank refuses a request that can never run

  std::vector<const Request*> mine;
  std::size_t expected_decodes = 0;
  for (const auto& r : all) {
    if (disaggregated && prefills && r.id % prefill_ranks == rank) mine.push_back(&r);
    if (disaggregated && !prefills && r.id % decode_ranks == rank - prefill_ranks && r.max_new_tokens > 1) ++expected_decodes;
    if (!disaggregated && r.id % ranks == rank) mine.push_back(&r);
  }
  if (rank == 0) {
    std::printf("orrery-gpt-serve: checkpoint step %lld (%zu parameters: %d layers, %d heads, %d channels, context %d, "
                "vocab %d); %zu requests over %.1f s; %s on %d ranks%s; batch limit %d, %d KV blocks of %d per rank\n",
                static_cast<long long>(state.step), model.params().size(), mc.layers, mc.heads, mc.channels, mc.context,
                mc.vocab, all.size(), o.workload.duration_s, o.placement.c_str(), ranks,
                disaggregated ? (" (" + std::to_string(prefill_ranks) + " prefill, " + std::to_string(decode_ranks) + " decode)").c_str()
                              : "",
                o.batch_limit, o.kv_blocks, o.block_size);
    std::fflush(stdout);
  }

  RequestLog log(all, o.slo);
  // Rank 0 answers interactive prompts: during the workload in its engine's running batch.
  std::optional<gpt::Tokenizer> tokenizer;
  std::optional<LivePrompts> prompts;
  if (rank == 0) {
    tokenizer.emplace(state.tokenizer);
    prompts.emplace(*tokenizer, mc.context, o.answer_tokens, disaggregated);
  }
  LivePrompts* live = prompts ? &*prompts : nullptr;
  // One start time for all ranks (rank 0's): times that cross ranks (a first token made on
  // a prefill rank, finished on a decode rank) are then on one clock, exactly so on one host.
  double start = orrery::now();
  MPI_Bcast(&start, 1, MPI_DOUBLE, 0, comm);
  const Clock clock{start};
  SpeedProbing probing(o.speed_probe_ms);
  if (prefills && disaggregated)
    serve_prefill(engine, mine, log, clock, prefill_ranks, decode_ranks, comm, live, probing);
  else if (disaggregated)
    serve_decode(engine, all, expected_decodes, log, clock, comm, pool, probing);
  else
    serve_colocated(engine, mine, log, clock, live, probing);
  probing.report(clock);
  if (prompts && (o.prompt_wait_s > 0 || prompts->open())) answer_prompts(model, o, o.prompt_wait_s, *prompts);
  orrery::metric("kv_blocks_in_use_at_end", 0, pool.used_blocks());
  if (pool.used_blocks() != 0)
    throw std::logic_error("gpt-serve: " + std::to_string(pool.used_blocks()) + " KV blocks still in use at the end");

  // Every finished request's timings to rank 0.
  const auto& rows = log.rows();
  int count = static_cast<int>(rows.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)), offsets(static_cast<std::size_t>(ranks));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  int total = 0;
  for (int r = 0; r < ranks; ++r) offsets[static_cast<std::size_t>(r)] = total, total += counts[static_cast<std::size_t>(r)];
  std::vector<double> gathered(static_cast<std::size_t>(rank == 0 ? total : 0));
  MPI_Gatherv(rows.data(), count, MPI_DOUBLE, gathered.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0, comm);
  if (rank != 0) return;

  std::vector<RequestTiming> timings;
  for (std::size_t i = 0; i + RequestLog::kFields <= gathered.size(); i += RequestLog::kFields)
    timings.push_back({gathered[i + 1], gathered[i + 2], gathered[i + 3], static_cast<int>(gathered[i + 4])});
  if (timings.size() != all.size())
    throw std::logic_error("gpt-serve: " + std::to_string(timings.size()) + " of " + std::to_string(all.size()) +
                           " requests finished");
  const ServeSummary s = summarize(timings, o.slo);
  for (auto [name, value] : {std::pair{"requests", static_cast<double>(s.requests)}, std::pair{"requests_per_s", s.requests_per_s},
                             std::pair{"throughput_tokens_per_s", s.tokens_per_s}, std::pair{"slo_attainment", s.slo_attainment},
                             std::pair{"goodput_rps", s.goodput_rps}, std::pair{"ttft_p50_s", s.ttft.p50},
                             std::pair{"ttft_p90_s", s.ttft.p90}, std::pair{"tpot_p50_s", s.tpot.p50},
                             std::pair{"tpot_p90_s", s.tpot.p90}, std::pair{"e2e_p50_s", s.e2e.p50},
                             std::pair{"e2e_p90_s", s.e2e.p90}, std::pair{"span_s", s.span_s}})
    orrery::metric(name, 0, value);
  char line[512];
  std::snprintf(line, sizeof line,
                "%d requests, %ld tokens in %.2f s: %.1f tokens/s; TTFT p50 %.1f ms p90 %.1f ms; TPOT p50 %.2f ms p90 %.2f "
                "ms; SLO (TTFT %.0f ms, TPOT %.0f ms) met by %d (%.1f %%): goodput %.2f requests/s",
                s.requests, s.output_tokens, s.span_s, s.tokens_per_s, s.ttft.p50 * 1e3, s.ttft.p90 * 1e3, s.tpot.p50 * 1e3,
                s.tpot.p90 * 1e3, o.slo.ttft_s * 1e3, o.slo.tpot_s * 1e3, s.met_slo, 100.0 * s.slo_attainment, s.goodput_rps);
  std::printf("orrery-gpt-serve: %s\n", line);
  std::fflush(stdout);
  orrery::event("summary", line);
}

}  // namespace orrery::serve
