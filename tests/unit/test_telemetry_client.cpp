// The sending half of telemetry (core/runtime/telemetry_client.hpp) and the
// process-wide runtime API (core/runtime/orrery/runtime.hpp), against a real
// ZeroMQ PULL socket bound on ipc:// in a fresh temporary folder.
//
// The process-wide tests fork, so every child starts with fresh global state.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <zmq.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "name_table.hpp"
#include "orrery/runtime.hpp"
#include "telemetry/wire.hpp"
#include "telemetry_client.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using orrery::runtime::ClientOptions;
using orrery::runtime::NameTable;
using orrery::runtime::TelemetryClient;
using orrery::telemetry::Batch;
using orrery::test_support::TempDir;


// The agent's side: a PULL socket that decodes every frame it receives.
class Receiver {
 public:
  explicit Receiver(const fs::path& dir) : endpoint_("ipc://" + (dir / "telemetry.sock").string()) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(endpoint_);
  }
  const std::string& endpoint() const { return endpoint_; }

  // Receives until done(batches) holds or the deadline passes; returns whether done held.
  bool collect_until(const std::function<bool(const std::vector<Batch>&)>& done,
                     std::chrono::milliseconds deadline = 30s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!done(batches)) {
      if (std::chrono::steady_clock::now() > until) return false;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t msg;
      if (!socket_.recv(msg, zmq::recv_flags::dontwait)) continue;
      std::string why;
      auto b = orrery::telemetry::decode(msg.data(), msg.size(), &why);
      if (!b) {
        rejected.push_back(why);
        continue;
      }
      batches.push_back(std::move(*b));
    }
    return true;
  }
  // Drains whatever else arrives within `quiet`.
  void drain(std::chrono::milliseconds quiet = 200ms) {
    collect_until([](const auto&) { return false; }, quiet);
  }

  std::vector<Batch> batches;
  std::vector<std::string> rejected;

 private:
  std::string endpoint_;
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::pull};
};

std::size_t count_points(const std::vector<Batch>& batches, const std::string& name) {
  std::size_t n = 0;
  for (const auto& b : batches)
    for (const auto& m : b.metrics)
      if (m.name == name) n += m.values.size();
  return n;
}

bool has_exit(const std::vector<Batch>& batches) {
  for (const auto& b : batches)
    if (b.exit) return true;
  return false;
}

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// ---------------------------------------------------------------------------
// NameTable

TEST(NameTable, InternIsStableAndDense) {
  NameTable t;
  EXPECT_EQ(t.intern("loss"), 0u);
  EXPECT_EQ(t.intern("acc"), 1u);
  EXPECT_EQ(t.intern("loss"), 0u);
  EXPECT_EQ(t.intern(""), 2u);
  EXPECT_EQ(t.name(0), "loss");
  EXPECT_EQ(t.name(1), "acc");
  EXPECT_EQ(t.name(2), "");
  EXPECT_EQ(t.name(3), "");  // unknown id
  std::vector<std::string> copy;
  t.append_new(copy);
  EXPECT_EQ(copy, (std::vector<std::string>{"loss", "acc", ""}));
  t.intern("lr");
  t.append_new(copy);  // only the new name is appended
  EXPECT_EQ(copy, (std::vector<std::string>{"loss", "acc", "", "lr"}));
  t.append_new(copy);
  EXPECT_EQ(copy.size(), 4u);
}

TEST(NameTable, ConcurrentInterningAgrees) {
  NameTable t;
  constexpr int kThreads = 4, kNames = 500;
  std::vector<std::vector<std::uint32_t>> ids(kThreads, std::vector<std::uint32_t>(kNames));
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th)
    threads.emplace_back([&, th] {
      for (int i = 0; i < kNames; ++i) {
        int k = (th % 2) ? kNames - 1 - i : i;  // half the threads go backwards
        ids[th][k] = t.intern("metric/" + std::to_string(k));
      }
    });
  for (auto& th : threads) th.join();
  std::vector<std::string> all;
  t.append_new(all);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kNames));
  for (int k = 0; k < kNames; ++k) {
    for (int th = 1; th < kThreads; ++th) EXPECT_EQ(ids[th][k], ids[0][k]);
    EXPECT_EQ(t.name(ids[0][k]), "metric/" + std::to_string(k));
  }
}

// ---------------------------------------------------------------------------
// TelemetryClient with an agent

TEST(TelemetryClient, EverythingArrivesGroupedInOrder) {
  TempDir dir;
  Receiver rx(dir.path());
  NameTable names;
  const auto loss = names.intern("loss"), acc = names.intern("acc");
  ClientOptions o;
  o.endpoint = rx.endpoint();
  o.rank = 5;
  o.world_size = 8;
  o.interval = 5ms;
  TelemetryClient client(o, names);

  constexpr int kSteps = 3000;
  std::uint64_t records = 0;
  for (int s = 0; s < kSteps; ++s) {
    client.metric(loss, s, s * 0.5, 1000.0 + s);
    client.metric(acc, s, -s, 2000.0 + s);
    records += 2;
    if (s % 100 == 0) {
      // A name interned while the client runs reaches the sender too.
      client.metric(names.intern("lr"), s, 1e-3, 3000.0 + s);
      client.span({"compute", "step " + std::to_string(s), s, 1.0 * s, 1.0 * s + 0.5});
      client.event({1.0 * s, "note", "at " + std::to_string(s), s});
      client.log({1.0 * s, s % 3, "line " + std::to_string(s)});
      client.progress(s, kSteps);
      records += 4;
    }
  }
  client.exit_report({4321, 3, 0, false, 99.0});
  ASSERT_TRUE(rx.collect_until([&](const auto& b) {
    return count_points(b, "loss") == kSteps && count_points(b, "acc") == kSteps && has_exit(b);
  })) << "got " << count_points(rx.batches, "loss") << " loss points in " << rx.batches.size() << " batches";
  client.stop();
  rx.drain();
  EXPECT_TRUE(rx.rejected.empty());

  const auto st = client.stats();
  EXPECT_EQ(st.recorded, records);
  EXPECT_EQ(st.sent, records);
  EXPECT_EQ(st.dropped, 0u);

  ASSERT_FALSE(rx.batches.empty());
  // The first batch says hello: pid, host and world size.
  const Batch& first = rx.batches.front();
  ASSERT_TRUE(first.hello);
  EXPECT_EQ(first.hello->pid, getpid());
  EXPECT_EQ(first.hello->host, host_name());
  EXPECT_EQ(first.hello->world_size, 8);

  std::map<std::string, std::vector<std::int64_t>> steps;
  std::map<std::string, std::vector<double>> values;
  std::vector<std::string> span_names, event_texts, log_texts;
  std::vector<int> log_streams;
  std::optional<orrery::telemetry::Progress> last_progress;
  int exits = 0;
  for (std::size_t i = 0; i < rx.batches.size(); ++i) {
    const Batch& b = rx.batches[i];
    EXPECT_EQ(b.rank, 5);
    EXPECT_EQ(b.source, "worker");
    EXPECT_EQ(b.seq, i) << "batches arrive in order, none lost";
    EXPECT_EQ(b.dropped_total, 0u);
    if (i > 0) {
      EXPECT_FALSE(b.hello) << "hello only in the first batch";
    }
    std::map<std::string, int> seen;
    for (const auto& m : b.metrics) {
      EXPECT_EQ(++seen[m.name], 1) << "one series per name per batch: " << m.name;
      ASSERT_EQ(m.steps.size(), m.values.size());
      ASSERT_EQ(m.steps.size(), m.times.size());
      for (std::size_t k = 0; k < m.steps.size(); ++k) {
        steps[m.name].push_back(m.steps[k]);
        values[m.name].push_back(m.values[k]);
        if (m.name == "loss") {
          EXPECT_EQ(m.times[k], 1000.0 + static_cast<double>(m.steps[k]));
        }
      }
    }
    for (const auto& s : b.spans) span_names.push_back(s.name);
    for (const auto& e : b.events) event_texts.push_back(e.text);
    for (const auto& l : b.logs) {
      log_texts.push_back(l.text);
      log_streams.push_back(l.stream);
    }
    if (b.progress) last_progress = b.progress;
    if (b.exit) {
      ++exits;
      EXPECT_EQ(b.exit->pid, 4321);
      EXPECT_EQ(b.exit->exit_code, 3);
      EXPECT_DOUBLE_EQ(b.exit->time, 99.0);
    }
  }
  EXPECT_EQ(exits, 1);
  ASSERT_EQ(steps["loss"].size(), static_cast<std::size_t>(kSteps));
  ASSERT_EQ(steps["acc"].size(), static_cast<std::size_t>(kSteps));
  for (int s = 0; s < kSteps; ++s) {
    ASSERT_EQ(steps["loss"][s], s);
    ASSERT_EQ(values["loss"][s], s * 0.5);
    ASSERT_EQ(steps["acc"][s], s);
    ASSERT_EQ(values["acc"][s], -s);
  }
  ASSERT_EQ(steps["lr"].size(), static_cast<std::size_t>(kSteps / 100));
  ASSERT_EQ(span_names.size(), static_cast<std::size_t>(kSteps / 100));
  ASSERT_EQ(event_texts.size(), static_cast<std::size_t>(kSteps / 100));
  ASSERT_EQ(log_texts.size(), static_cast<std::size_t>(kSteps / 100));
  for (int i = 0; i < kSteps / 100; ++i) {
    EXPECT_EQ(steps["lr"][i], i * 100);
    EXPECT_EQ(span_names[i], "step " + std::to_string(i * 100));
    EXPECT_EQ(event_texts[i], "at " + std::to_string(i * 100));
    EXPECT_EQ(log_texts[i], "line " + std::to_string(i * 100));
    EXPECT_EQ(log_streams[i], (i * 100) % 3);
  }
  ASSERT_TRUE(last_progress);
  EXPECT_EQ(last_progress->done, (kSteps / 100 - 1) * 100.0);
  EXPECT_EQ(last_progress->total, kSteps);
}

TEST(TelemetryClient, SupervisorSpeaksForItsWorker) {
  TempDir dir;
  Receiver rx(dir.path());
  NameTable names;
  ClientOptions o;
  o.endpoint = rx.endpoint();
  o.rank = 0;
  o.world_size = 1;
  o.source = "supervisor";
  o.hello_pid = 123456;
  o.interval = 5ms;
  TelemetryClient client(o, names);
  // Even with nothing to report, the first batch goes out and says hello.
  ASSERT_TRUE(rx.collect_until([](const auto& b) { return !b.empty(); }));
  client.stop();
  const Batch& first = rx.batches.front();
  EXPECT_EQ(first.seq, 0u);
  EXPECT_EQ(first.source, "supervisor");
  ASSERT_TRUE(first.hello);
  EXPECT_EQ(first.hello->pid, 123456);
  EXPECT_EQ(first.record_count(), 0u);
}

TEST(TelemetryClient, StampedPointsCarryTheWallTimeOfTheCall) {
  // metric() without a time stamps with the cycle counter; the sender converts to wall
  // time. Each point must arrive with a time between the wall clock read just before and
  // just after its call, over several batches (the calibration advances at every swap).
  TempDir dir;
  Receiver rx(dir.path());
  NameTable names;
  const auto id = names.intern("stamped");
  ClientOptions o;
  o.endpoint = rx.endpoint();
  o.interval = 5ms;
  TelemetryClient client(o, names);
  constexpr int kPoints = 400;
  std::vector<double> before(kPoints), after(kPoints);
  for (int i = 0; i < kPoints; ++i) {
    before[i] = orrery::runtime::wall_seconds();
    client.metric(id, i, 1.0);
    after[i] = orrery::runtime::wall_seconds();
    std::this_thread::sleep_for(100us);
  }
  ASSERT_TRUE(rx.collect_until([](const auto& b) { return count_points(b, "stamped") == kPoints; }));
  client.stop();
  std::size_t batches_with_points = 0;
  for (const Batch& b : rx.batches) {
    for (const auto& m : b.metrics) {
      ++batches_with_points;
      for (std::size_t k = 0; k < m.steps.size(); ++k) {
        const auto i = static_cast<std::size_t>(m.steps[k]);
        ASSERT_LT(i, before.size());
        EXPECT_GE(m.times[k], before[i] - 100e-6) << "step " << i;
        EXPECT_LE(m.times[k], after[i] + 100e-6) << "step " << i;
      }
    }
  }
  EXPECT_GT(batches_with_points, 1u) << "the points should span several swaps";
}

TEST(TelemetryClient, DropsAreCountedAndRideAlongInTheNextBatch) {
  TempDir dir;
  Receiver rx(dir.path());
  NameTable names;
  ClientOptions o;
  o.endpoint = rx.endpoint();
  o.other_capacity = 2;
  o.interval = 1h;  // the sender only wakes for the exit report
  TelemetryClient client(o, names);
  for (int i = 0; i < 5; ++i) client.log({1.0 * i, 1, "line " + std::to_string(i)});
  client.span({"io", "read", 1, 0, 1});
  client.event({1, "k", "t", 1});
  auto st = client.stats();
  EXPECT_EQ(st.recorded, 2u);
  EXPECT_EQ(st.dropped, 5u);
  client.exit_report({1, 0, 0, false, 2.0});
  ASSERT_TRUE(rx.collect_until(has_exit));
  client.stop();
  ASSERT_EQ(rx.batches.size(), 1u);
  const Batch& b = rx.batches.front();
  EXPECT_EQ(b.dropped_total, 5u);
  ASSERT_EQ(b.logs.size(), 2u);
  EXPECT_EQ(b.logs[0].text, "line 0");
  EXPECT_EQ(b.logs[1].text, "line 1");
  EXPECT_TRUE(b.spans.empty());
  EXPECT_TRUE(b.events.empty());
  st = client.stats();
  EXPECT_EQ(st.recorded, 2u);
  EXPECT_EQ(st.sent, 2u);
  EXPECT_EQ(st.dropped, 5u);
}

TEST(TelemetryClient, StopFlushesWhatIsBufferedAndLaterCallsAreDropped) {
  TempDir dir;
  Receiver rx(dir.path());
  NameTable names;
  const auto id = names.intern("x");
  ClientOptions o;
  o.endpoint = rx.endpoint();
  o.interval = 1h;
  TelemetryClient client(o, names);
  for (int i = 0; i < 100; ++i) client.metric(id, i, i, i);
  client.stop();
  ASSERT_TRUE(rx.collect_until([](const auto& b) { return count_points(b, "x") == 100; }));
  client.metric(id, 100, 1, 1);  // after stop: counted, never blocks or crashes
  client.log({1, 1, "late"});
  client.stop();                 // stopping twice is harmless
  const auto st = client.stats();
  EXPECT_EQ(st.recorded, 100u);
  EXPECT_EQ(st.sent, 100u);
  EXPECT_EQ(st.dropped, 2u);
}

// ---------------------------------------------------------------------------
// TelemetryClient without an agent

TEST(TelemetryClient, NoAgentNeverBlocksAndCountsDrops) {
  TempDir dir;
  NameTable names;
  const auto id = names.intern("loss");
  ClientOptions o;
  o.endpoint = "ipc://" + (dir.path() / "nobody-listens.sock").string();
  o.metric_capacity = 64;
  o.interval = 1ms;
  TelemetryClient client(o, names);
  constexpr std::uint64_t kCalls = 1'000'000;
  for (std::uint64_t i = 0; i < kCalls; ++i) client.metric(id, static_cast<std::int64_t>(i), 1.0, 2.0);
  const auto t0 = std::chrono::steady_clock::now();
  client.stop(100ms);
  const auto stop_took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(stop_took, 5s) << "stop with a 100 ms linger must not wait for an absent agent";

  const auto st = client.stats();
  EXPECT_GT(st.dropped, 0u);
  EXPECT_LE(st.recorded, kCalls);
  EXPECT_LE(st.sent, st.recorded);
  // Every call is accounted for exactly once: handed to the transport, or dropped
  // (buffer full at the call, or its batch refused by the transport).
  EXPECT_EQ(st.sent + st.dropped, kCalls);
}

TEST(TelemetryClient, StopWithoutAgentReturnsWithinLinger) {
  TempDir dir;
  NameTable names;
  const auto id = names.intern("loss");
  ClientOptions o;
  o.endpoint = "ipc://" + (dir.path() / "absent.sock").string();
  o.interval = 1ms;
  TelemetryClient client(o, names);
  for (int i = 0; i < 1000; ++i) client.metric(id, i, 1.0, 2.0);
  client.exit_report({1, 0, 0, false, 1.0});  // the blocking (2 s send timeout) kind of batch
  const auto t0 = std::chrono::steady_clock::now();
  client.stop(0ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

// ---------------------------------------------------------------------------
// Process-wide API, each case in a forked child

struct ChildResult {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs body in a forked child with fd 2 redirected into a pipe; body returns the exit code.
ChildResult run_in_child(const std::function<int()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    close(fds[1]);
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    std::fflush(stderr);
    _exit(code);
  }
  close(fds[1]);
  ChildResult r;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    r.stderr_text.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

void clear_runtime_env() {
  for (const char* v : {"ORRERY_TELEMETRY", "ORRERY_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "ORRERY_RUN_DIR",
                        "ORRERY_WORLD_SIZE", "OMPI_COMM_WORLD_SIZE"})
    unsetenv(v);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(RuntimeApi, WithoutAgentSaysSoOnceAndEverythingIsANoOp) {
  auto r = run_in_child([] {
    clear_runtime_env();
    if (orrery::init()) return 1;
    if (orrery::init()) return 2;  // idempotent, and no second notice
    if (orrery::active()) return 3;
    orrery::Metric loss("loss");
    for (int i = 0; i < 1000; ++i) loss.log(i, 0.5);
    orrery::metric("acc", 1, 0.9);
    orrery::span("compute", "fwd", 1, 0.0, 1.0);
    { orrery::ScopedSpan s("io", "read", 2); }
    orrery::event("checkpoint", "saved", 3);
    orrery::log("hello");
    orrery::progress(1, 10);
    auto st = orrery::stats();
    if (st.recorded != 0 || st.sent != 0 || st.dropped != 0) return 4;
    if (orrery::rank() != 0) return 5;
    if (!orrery::run_dir().empty()) return 6;
    orrery::shutdown();
    orrery::shutdown();
    if (orrery::init()) return 7;
    return 0;
  });
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(occurrences(r.stderr_text, "ORRERY_TELEMETRY is not set"), 1u) << r.stderr_text;
  EXPECT_EQ(occurrences(r.stderr_text, "\n"), 1u) << "nothing else on stderr:\n" << r.stderr_text;
}

TEST(RuntimeApi, WithoutAgentOnlyRankZeroSpeaks) {
  auto r = run_in_child([] {
    clear_runtime_env();
    setenv("ORRERY_RANK", "2", 1);
    if (orrery::init()) return 1;
    if (orrery::rank() != 2) return 2;
    return 0;
  });
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stderr_text, "");
}

TEST(RuntimeApi, WithAgentMetricsArriveWithTheRank) {
  TempDir dir;
  Receiver rx(dir.path());
  const std::string endpoint = rx.endpoint();
  const std::string run_dir = (dir.path() / "run").string();
  std::atomic<bool> done{false};
  ChildResult r;
  pid_t child_pid = 0;
  // The child runs in a thread of ours so the receiver can drain while it sends.
  std::thread parent_side([&] {
    r = run_in_child([&] {
      clear_runtime_env();
      setenv("ORRERY_TELEMETRY", endpoint.c_str(), 1);
      setenv("ORRERY_RANK", "3", 1);
      setenv("ORRERY_WORLD_SIZE", "4", 1);
      setenv("ORRERY_RUN_DIR", run_dir.c_str(), 1);
      if (!orrery::init()) return 1;
      if (!orrery::init()) return 2;
      if (!orrery::active()) return 3;
      if (orrery::rank() != 3) return 4;
      if (orrery::run_dir() != run_dir) return 5;
      orrery::Metric loss("loss");
      for (int i = 0; i < 500; ++i) loss.log(i, i * 0.25);
      orrery::metric("acc", 7, 0.75);
      orrery::event("checkpoint", "saved", 7);
      orrery::log("a line");
      { orrery::ScopedSpan s("compute", "step", 7); }
      orrery::shutdown();
      auto st = orrery::stats();
      if (st.recorded != 504 || st.sent != 504 || st.dropped != 0) return 6;
      orrery::Metric late("late");
      late.log(1, 1.0);  // after shutdown: a no-op
      if (orrery::active()) return 7;
      return 0;
    });
    done = true;
  });
  bool got = rx.collect_until([](const auto& b) {
    std::size_t events = 0, logs = 0, spans = 0;
    for (const auto& x : b) {
      events += x.events.size();
      logs += x.logs.size();
      spans += x.spans.size();
    }
    return count_points(b, "loss") == 500 && count_points(b, "acc") == 1 && events == 1 && logs == 1 && spans == 1;
  });
  parent_side.join();
  ASSERT_TRUE(done);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  ASSERT_TRUE(got) << "received " << count_points(rx.batches, "loss") << " loss points";
  rx.drain();
  EXPECT_EQ(count_points(rx.batches, "late"), 0u);
  EXPECT_TRUE(rx.rejected.empty());
  ASSERT_FALSE(rx.batches.empty());
  ASSERT_TRUE(rx.batches.front().hello);
  child_pid = rx.batches.front().hello->pid;
  EXPECT_NE(child_pid, getpid());
  EXPECT_GT(child_pid, 0);
  EXPECT_EQ(rx.batches.front().hello->world_size, 4);
  std::vector<std::int64_t> steps;
  for (const auto& b : rx.batches) {
    EXPECT_EQ(b.rank, 3);
    EXPECT_EQ(b.source, "worker");
    for (const auto& m : b.metrics)
      if (m.name == "loss")
        for (std::size_t k = 0; k < m.steps.size(); ++k) {
          steps.push_back(m.steps[k]);
          EXPECT_EQ(m.values[k], static_cast<double>(m.steps[k]) * 0.25);
          EXPECT_GT(m.times[k], 1.6e9);  // wall-clock seconds since the epoch
        }
    for (const auto& e : b.events) {
      EXPECT_EQ(e.kind, "checkpoint");
      EXPECT_EQ(e.step, 7);
    }
    for (const auto& l : b.logs) {
      EXPECT_EQ(l.text, "a line");
      EXPECT_EQ(l.stream, 0);
    }
    for (const auto& s : b.spans) {
      EXPECT_EQ(s.kind, "compute");
      EXPECT_LE(s.start, s.end);
    }
  }
  ASSERT_EQ(steps.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(steps[i], i);
}

}  // namespace
