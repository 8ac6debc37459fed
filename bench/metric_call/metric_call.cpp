// bench_metric_call: what one telemetry call costs a worker thread.
//
//   bench_metric_call [google-benchmark flags, e.g. --benchmark_repetitions=5]
//
// Phase 1, "noagent/...": the runtime is not connected (orrery::init() not yet called,
// exactly the state of a worker started without ORRERY_TELEMETRY): every call is the
// no-op path.
// Phase 2, "agent/...": a PULL socket is bound on an ipc endpoint in this process and a
// thread drains it (receives and discards frames, like an agent that keeps up);
// ORRERY_TELEMETRY is set with setenv() and orrery::init() connects the runtime's real
// sender (its bounded buffer, its background thread, msgpack encoding, ZeroMQ PUSH).
// Each agent/ benchmark reports the records it got accepted (recorded/s) and the ones
// the runtime dropped during its own run (dropped): a thread that calls log() tens of
// millions of times a second outruns the sender, and its surplus calls take the drop path
// (same lock and clock read, no append). "agent/Metric::log (sender kept up)" stops the
// clock every 32768 calls until the sender has caught up, so every timed call is recorded.
//
// Read the CPU column: on a shared machine the wall-clock Time includes time the thread
// was not running. clock/read_stamp is the timestamp every log call takes (the cycle
// counter; the sender converts it to wall time); clock/orrery::now is the wall clock read
// that log calls made before, and that spans, events and log lines still make.
#include "orrery/runtime.hpp"
#include "stamp_clock.hpp"

#include <benchmark/benchmark.h>
#include <zmq.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

// The live "agent": a PULL socket drained by a thread, set up once, before the first
// agent/ benchmark runs (the no-agent ones run first, while the runtime is unconnected).
struct LiveAgent {
  std::string endpoint = "ipc:///tmp/orrery-bench-metric-call-" + std::to_string(getpid()) + ".sock";
  zmq::context_t context{1};
  zmq::socket_t pull{context, zmq::socket_type::pull};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> frames{0}, bytes{0};
  std::thread drain;

  LiveAgent() {
    pull.set(zmq::sockopt::rcvhwm, 100000);  // as orrery-agent sets it
    pull.set(zmq::sockopt::rcvtimeo, 100);
    pull.bind(endpoint);
    drain = std::thread([this] {
      zmq::message_t msg;
      while (!stop.load(std::memory_order_relaxed)) {
        if (pull.recv(msg)) {
          frames.fetch_add(1, std::memory_order_relaxed);
          bytes.fetch_add(msg.size(), std::memory_order_relaxed);
        }
      }
    });
    setenv("ORRERY_TELEMETRY", endpoint.c_str(), 1);
    setenv("ORRERY_RANK", "0", 1);
    if (!orrery::init()) {
      std::fprintf(stderr, "bench_metric_call: the runtime did not connect to %s\n", endpoint.c_str());
      std::exit(1);
    }
  }
  void finish() {
    orrery::shutdown();
    const auto st = orrery::stats();
    stop = true;
    drain.join();
    std::fprintf(stderr,
                 "runtime totals: recorded=%llu sent=%llu dropped=%llu; drain thread received %llu frames, %.1f MB\n",
                 static_cast<unsigned long long>(st.recorded), static_cast<unsigned long long>(st.sent),
                 static_cast<unsigned long long>(st.dropped), static_cast<unsigned long long>(frames.load()),
                 static_cast<double>(bytes.load()) / 1e6);
    ::unlink(endpoint.substr(std::string("ipc://").size()).c_str());
  }
};

LiveAgent* g_agent = nullptr;
std::once_flag g_agent_once;

void connect_if(bool with_agent) {
  if (with_agent) std::call_once(g_agent_once, [] { g_agent = new LiveAgent(); });
}

void report(benchmark::State& state, const orrery::TelemetryStats& before) {
  if (state.thread_index() != 0) return;
  const auto after = orrery::stats();
  state.counters["recorded"] =
      benchmark::Counter(static_cast<double>(after.recorded - before.recorded), benchmark::Counter::kIsRate);
  state.counters["dropped"] = static_cast<double>(after.dropped - before.dropped);
}

void BM_MetricLog(benchmark::State& state, bool with_agent) {
  connect_if(with_agent);
  static const orrery::Metric loss("bench/loss");
  const auto before = orrery::stats();
  std::int64_t step = 0;
  for (auto _ : state) {
    loss.log(step, 0.25);
    ++step;
  }
  report(state, before);
}

// As BM_MetricLog, but every 32768 calls the clock stops until the sender has shipped
// everything: every timed call is a recorded one (none takes the cheaper drop path).
void BM_MetricLogKeptUp(benchmark::State& state, bool with_agent) {
  connect_if(with_agent);
  static const orrery::Metric loss("bench/loss_kept_up");
  const auto before = orrery::stats();
  std::int64_t step = 0;
  for (auto _ : state) {
    loss.log(step, 0.25);
    if ((++step & 32767) == 0) {
      state.PauseTiming();
      // Unshipped = recorded - sent (send failures, counted in dropped, never ship).
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      for (auto st = orrery::stats();
           st.recorded - st.sent > (before.recorded - before.sent) + (st.dropped - before.dropped) &&
           std::chrono::steady_clock::now() < deadline;
           st = orrery::stats())
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      state.ResumeTiming();
    }
  }
  report(state, before);
}

void BM_MetricByName(benchmark::State& state, bool with_agent) {
  connect_if(with_agent);
  const auto before = orrery::stats();
  std::int64_t step = 0;
  for (auto _ : state) {
    orrery::metric("bench/loss_by_name", step, 0.25);
    ++step;
  }
  report(state, before);
}

void BM_Now(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(orrery::now());
}

// The timestamp a metric call takes instead (the sender converts it to wall time).
void BM_Stamp(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(orrery::runtime::read_stamp());
}

}  // namespace

int main(int argc, char** argv) {
  unsetenv("ORRERY_TELEMETRY");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Registration order is run order: everything without an agent first.
  benchmark::RegisterBenchmark("clock/orrery::now", BM_Now);
  benchmark::RegisterBenchmark("clock/read_stamp", BM_Stamp);
  benchmark::RegisterBenchmark("noagent/Metric::log", BM_MetricLog, false);
  benchmark::RegisterBenchmark("noagent/metric(name)", BM_MetricByName, false);
  benchmark::RegisterBenchmark("agent/Metric::log", BM_MetricLog, true);
  benchmark::RegisterBenchmark("agent/Metric::log (sender kept up)", BM_MetricLogKeptUp, true);
  benchmark::RegisterBenchmark("agent/metric(name)", BM_MetricByName, true);
  // Two threads logging at once (2 cores; the runtime's sender and the drain thread compete too).
  benchmark::RegisterBenchmark("agent/Metric::log", BM_MetricLog, true)->Threads(2)->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_agent) g_agent->finish();
  return 0;
}
