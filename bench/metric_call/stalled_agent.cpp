// bench_stalled_agent: does telemetry ever stall compute? (DESIGN.md point 4)
//
//   bench_stalled_agent [--seconds S] [--n N] [--repeat K]   runs every mode K times, prints a table
//   bench_stalled_agent --mode MODE [--seconds S] [--n N]    one mode, one result line
//
// A compute loop runs a fixed FLOP kernel (y = a*x + y over N doubles, then a
// reduction: 4N flops per iteration) and logs one metric per iteration through an
// orrery::Metric handle, for S seconds. Modes (each in its own process, because the
// runtime connects once per process):
//   off      no telemetry (ORRERY_TELEMETRY unset: the runtime's no-op path)
//   drained  a PULL socket bound in-process, a thread receives and discards every frame
//   stalled  a PULL socket bound with the agent's receive HWM but never read
//   stalled-hwm1000  the same with ZeroMQ's default receive HWM (1000 frames)
//   absent   nothing listens on the endpoint at all (agent gone)
// Reported: iterations/s (wall clock), the slowdown against `off`, the compute thread's
// own CPU time per iteration (the direct cost of the log call, without the time the
// runtime's sender thread and the drain thread take from the loop on a small machine),
// the CPU of the process's other threads (the runtime's sender, ZeroMQ's I/O threads, and
// in `drained` the drain thread; % of one core), and orrery::stats() (recorded, sent, dropped): in the stalled/absent modes the loop
// keeps computing and the runtime counts what it could not deliver. ("sent" means handed
// to ZeroMQ: with nothing listening, up to the PUSH socket's HWM of frames sit in its
// queue and are discarded at shutdown without being counted as dropped.)
#include "orrery/runtime.hpp"

#include <zmq.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  std::string mode;
  double iters_per_s = 0;
  double ns_per_iter = 0;
  unsigned long long iterations = 0, recorded = 0, sent = 0, dropped = 0;
  double cpu_ns_per_iter = 0;   // the compute thread's own CPU time per iteration
  double other_cpu_pct = 0;     // CPU of every other thread of the process (sender, ZeroMQ, drain), % of one core
  double checksum = 0;
};

double process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

__attribute__((noinline)) double kernel(std::vector<double>& y, const std::vector<double>& x, double a) {
  const std::size_t n = y.size();
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = a * x[i] + y[i];
    s += y[i] * x[i];
  }
  return s;
}

Result run_mode(const std::string& mode, double seconds, std::size_t n) {
  const std::string endpoint = "ipc:///tmp/orrery-bench-stalled-" + std::to_string(getpid()) + ".sock";
  zmq::context_t context(1);
  std::optional<zmq::socket_t> pull;
  std::atomic<bool> stop{false};
  std::thread drain;
  if (mode == "drained" || mode == "stalled" || mode == "stalled-hwm1000") {
    pull.emplace(context, zmq::socket_type::pull);
    if (mode != "stalled-hwm1000") pull->set(zmq::sockopt::rcvhwm, 100000);  // as orrery-agent sets it
    pull->set(zmq::sockopt::rcvtimeo, 100);
    pull->set(zmq::sockopt::linger, 0);
    pull->bind(endpoint);
    if (mode == "drained")
      drain = std::thread([&] {
        zmq::message_t msg;
        while (!stop.load(std::memory_order_relaxed)) (void)pull->recv(msg);
      });
  }
  if (mode != "off") {
    setenv("ORRERY_TELEMETRY", endpoint.c_str(), 1);
    if (!orrery::init()) {
      std::fprintf(stderr, "bench_stalled_agent: runtime did not connect in mode %s\n", mode.c_str());
      std::exit(1);
    }
  } else {
    unsetenv("ORRERY_TELEMETRY");
  }

  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = 1.0 / static_cast<double>(i + 1);
    y[i] = 0.5;
  }
  const orrery::Metric metric("bench/kernel_sum");
  Result r;
  r.mode = mode;
  const auto t0 = Clock::now();
  const double c0 = thread_cpu();
  const double p0 = process_cpu();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::int64_t it = 0;
  double sum = 0;
  for (;;) {
    const double s = kernel(y, x, 1e-9);
    metric.log(it, s);
    sum += s;
    ++it;
    if ((it & 255) == 0 && Clock::now() >= deadline) break;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double compute_cpu = thread_cpu() - c0;
  r.cpu_ns_per_iter = compute_cpu * 1e9 / static_cast<double>(it);
  r.other_cpu_pct = 100.0 * (process_cpu() - p0 - compute_cpu) / elapsed;
  r.iterations = static_cast<unsigned long long>(it);
  r.iters_per_s = static_cast<double>(it) / elapsed;
  r.ns_per_iter = elapsed * 1e9 / static_cast<double>(it);
  r.checksum = sum;
  const auto before_stop = orrery::stats();
  // Stop the sender with a short linger: a stalled agent must not hold the process either.
  orrery::shutdown();
  const auto st = orrery::stats();
  r.recorded = before_stop.recorded;
  r.sent = st.sent;
  r.dropped = st.dropped;
  stop = true;
  if (drain.joinable()) drain.join();
  pull.reset();
  ::unlink(endpoint.substr(std::string("ipc://").size()).c_str());
  return r;
}

std::string load_average() {
  char buf[64] = {};
  if (std::FILE* f = std::fopen("/proc/loadavg", "re")) {
    if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
    std::fclose(f);
  }
  std::string s(buf);
  auto cut = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);
  return cut == std::string::npos ? s : s.substr(0, cut);
}

std::optional<Result> run_child(const char* self, const std::string& mode, double seconds, std::size_t n) {
  std::string secs = std::to_string(seconds), size = std::to_string(n);
  std::vector<std::string> args = {self, "--mode", mode, "--seconds", secs, "--n", size};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  pid_t pid = 0;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ) != 0) return std::nullopt;
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t k; (k = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(k));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  Result r;
  char name[64] = {};
  if (std::sscanf(out.c_str(), "stalled-result mode=%63s iterations=%llu iters_per_s=%lf ns_per_iter=%lf cpu_ns_per_iter=%lf other_cpu_pct=%lf recorded=%llu sent=%llu dropped=%llu",
                  name, &r.iterations, &r.iters_per_s, &r.ns_per_iter, &r.cpu_ns_per_iter, &r.other_cpu_pct, &r.recorded, &r.sent,
                  &r.dropped) != 9)
    return std::nullopt;
  r.mode = name;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "all";
  double seconds = 2.0;
  std::size_t n = 256;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--n") && i + 1 < argc) n = static_cast<std::size_t>(std::atoll(argv[++i]));
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: bench_stalled_agent [--mode off|drained|stalled|stalled-hwm1000|absent|all] [--seconds S] [--n N] [--repeat K]\n");
      return 2;
    }
  }
  if (mode != "all") {
    Result r = run_mode(mode, seconds, n);
    std::printf("stalled-result mode=%s iterations=%llu iters_per_s=%.0f ns_per_iter=%.1f cpu_ns_per_iter=%.1f other_cpu_pct=%.1f recorded=%llu sent=%llu dropped=%llu checksum=%g\n",
                r.mode.c_str(), r.iterations, r.iters_per_s, r.ns_per_iter, r.cpu_ns_per_iter, r.other_cpu_pct, r.recorded, r.sent,
                r.dropped, r.checksum);
    return 0;
  }
  std::printf("compute loop: y = a*x + y and a dot product over %zu doubles (%zu flops) + one Metric::log per iteration\n"
              "%.1f s per mode; modes run round-robin %d times, the median run (by iterations/s) of each is shown\n",
              n, 4 * n, seconds, repeat);
  std::printf("load average before: %s\n\n", load_average().c_str());
  const std::vector<std::string> modes = {"off", "drained", "stalled", "stalled-hwm1000", "absent"};
  std::vector<std::vector<Result>> runs(modes.size());
  for (int k = 0; k < repeat; ++k)
    for (std::size_t m = 0; m < modes.size(); ++m)
      if (auto r = run_child(argv[0], modes[m], seconds, n)) runs[m].push_back(*r);
  std::printf("%-16s %13s %9s %8s %12s %11s %10s %10s %10s\n", "mode", "iterations/s", "ns/iter", "vs off", "CPU ns/iter",
              "other CPU", "recorded", "sent", "dropped");
  double base = 0;
  for (std::size_t m = 0; m < modes.size(); ++m) {
    auto& rs = runs[m];
    if (rs.empty()) {
      std::printf("%-16s failed\n", modes[m].c_str());
      continue;
    }
    std::sort(rs.begin(), rs.end(), [](const Result& a, const Result& b) { return a.iters_per_s < b.iters_per_s; });
    const Result& r = rs[rs.size() / 2];
    if (m == 0) base = r.iters_per_s;
    std::printf("%-16s %13.0f %9.1f %7.1f%% %12.1f %10.1f%% %10llu %10llu %10llu\n", r.mode.c_str(), r.iters_per_s, r.ns_per_iter,
                base > 0 ? 100.0 * (r.iters_per_s / base - 1.0) : 0.0, r.cpu_ns_per_iter, r.other_cpu_pct, r.recorded, r.sent,
                r.dropped);
  }
  std::printf("load average after: %s\n", load_average().c_str());
  return 0;
}
