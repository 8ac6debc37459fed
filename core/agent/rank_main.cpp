// orrery-rank: the per-rank supervisor that mpirun starts in place of the worker.
//
//   mpirun ... orrery-rank -- <worker argv...>
//
// It starts the worker in its own process group, forwards its stdout/stderr to
// the agent line by line (JSON metric lines become metrics), chooses its device,
// and reports how the worker ended: exit code or signal, and whether that end
// was asked for (cancel/abort) or the worker's own. It guards against orphans:
// the worker dies with it (PR_SET_PDEATHSIG), and it kills the worker when the
// agent or mpirun disappears.
#include "runtime/host_name.hpp"
#include "agent/stdout_line_parser.hpp"
#include "launch/process.hpp"
#include "orrery/runtime.hpp"
#include "runtime/name_table.hpp"
#include "runtime/telemetry_client.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using orrery::runtime::NameTable;
using orrery::runtime::TelemetryClient;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return (end && *end == '\0') ? static_cast<int>(x) : fallback;
}

std::string env_str(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}


// One thread per pipe: splits into lines and hands them to the telemetry client.
void pump_lines(int fd, int stream, TelemetryClient* client, NameTable& names) {
  constexpr std::size_t kMaxLine = 64 * 1024;
  std::string pending;
  char buf[65536];
  auto emit = [&](std::string line) {
    if (!client) return;
    double t = orrery::now();
    if (stream == 1) {
      if (auto parsed = orrery::agent::parse_stdout_line(line)) {
        std::int64_t step = parsed->step >= 0 ? parsed->step : 0;
        for (const auto& [name, value] : parsed->metrics) client->metric(names.intern(name), step, value, t);
        if (parsed->progress) client->progress(parsed->progress->first, parsed->progress->second);
        if (parsed->event) client->event({t, parsed->event->first, parsed->event->second, parsed->step});
        if (parsed->reporter) return;
      }
    }
    client->log({t, stream, std::move(line)});
  };
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (;;) {
      auto nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      emit(pending.substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > kMaxLine) {   // a line without end: ship it in pieces
      emit(pending.substr(0, kMaxLine));
      pending.erase(0, kMaxLine);
    }
  }
  if (!pending.empty()) emit(std::move(pending));
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: orrery-rank -- WORKER [ARGS...]\n"
                         "Started by orrery-agent through mpirun; supervises one rank's worker.\n");
    return first >= argc ? 2 : 0;
  }
  const int rank = env_int("OMPI_COMM_WORLD_RANK", env_int("PMI_RANK", env_int("SLURM_PROCID", 0)));
  const int world = env_int("OMPI_COMM_WORLD_SIZE", env_int("PMI_SIZE", env_int("SLURM_NTASKS", 1)));
  const int local_rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", env_int("SLURM_LOCALID", 0));
  const pid_t agent_pid = env_int("ORRERY_AGENT_PID", 0);
  const bool agent_local = env_str("ORRERY_AGENT_HOST") == orrery::runtime::host_name();
  const double grace_s = env_int("ORRERY_GRACE_MS", 5000) / 1000.0;
  const pid_t parent = getppid();

  // Signals are taken synchronously in the main loop (sigtimedwait), never in a handler.
  sigset_t watched;
  sigemptyset(&watched);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&watched, s);
  pthread_sigmask(SIG_BLOCK, &watched, nullptr);

  // Device: one GPU per local rank when the agent found GPUs, else CPU.
  std::map<std::string, std::string> env{{"ORRERY_RANK", std::to_string(rank)},
                                         {"ORRERY_WORLD_SIZE", std::to_string(world)},
                                         {"PYTHONUNBUFFERED", "1"}};
  const int gpus = env_int("ORRERY_GPU_COUNT", 0);
  if (gpus > 0) {
    env["CUDA_VISIBLE_DEVICES"] = std::to_string(local_rank % gpus);
    env["ORRERY_DEVICE"] = "cuda:" + std::to_string(local_rank % gpus);
  } else {
    env["CUDA_VISIBLE_DEVICES"] = "";
    env["ORRERY_DEVICE"] = "cpu";
  }

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    std::perror("orrery-rank: pipe");
    return 127;
  }
  orrery::launch::SpawnOptions opts;
  opts.argv.assign(argv + first, argv + argc);
  opts.env_set = env;
  opts.stdin_fd = -1;
  opts.stdout_fd = out_pipe[1];
  opts.stderr_fd = err_pipe[1];
  opts.new_process_group = true;            // so cancel reaches the worker's own children too
  opts.parent_death_signal = SIGKILL;       // the worker never outlives its supervisor
  pid_t worker = -1;
  std::string spawn_error;
  try {
    worker = orrery::launch::spawn(opts);
  } catch (const std::exception& e) {
    spawn_error = e.what();
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  NameTable names;
  std::optional<TelemetryClient> client;
  const std::string endpoint = env_str("ORRERY_TELEMETRY");
  if (!endpoint.empty()) {
    orrery::runtime::ClientOptions co;
    co.endpoint = endpoint;
    co.rank = rank;
    co.world_size = world;
    co.source = "supervisor";
    co.hello_pid = worker > 0 ? worker : getpid();
    client.emplace(co, names);
  }
  TelemetryClient* c = client ? &*client : nullptr;

  if (worker < 0) {
    std::fprintf(stderr, "orrery-rank %d: %s\n", rank, spawn_error.c_str());
    if (c) {
      c->log({orrery::now(), 2, "orrery-rank: " + spawn_error});
      c->exit_report({0, 127, 0, false, orrery::now()});
      c->stop(std::chrono::milliseconds(3000));
    }
    return 127;
  }

  std::thread out_thread(pump_lines, out_pipe[0], 1, c, std::ref(names));
  std::thread err_thread(pump_lines, err_pipe[0], 2, c, std::ref(names));

  bool requested = false;
  bool agent_gone = false;
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  int status = 0;
  auto terminate_worker = [&](const char* why) {
    if (requested) return;
    requested = true;
    if (c) c->log({orrery::now(), 2, std::string("orrery-rank: stopping the worker (") + why + ")"});
    killpg(worker, SIGTERM);
    kill_at = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                     std::chrono::duration<double>(grace_s));
  };
  for (;;) {
    pid_t r = waitpid(worker, &status, WNOHANG);
    if (r == worker) break;
    timespec timeout{0, 50'000'000};
    int sig = sigtimedwait(&watched, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) terminate_worker("termination requested");
    if (getppid() != parent) terminate_worker("mpirun is gone");
    if (agent_local && agent_pid > 0 && !agent_gone && !orrery::launch::process_alive(agent_pid)) {
      agent_gone = true;
      terminate_worker("the agent is gone");
    }
    if (kill_at && std::chrono::steady_clock::now() >= *kill_at) {
      killpg(worker, SIGKILL);
      kill_at.reset();
    }
  }
  // Whatever the worker left behind in its group goes too, so the pipes close.
  killpg(worker, SIGKILL);
  out_thread.join();
  err_thread.join();

  auto exit = orrery::launch::decode_wait_status(status);
  if (c) {
    // Nobody is left to hear the report when the agent is gone: leave at once.
    if (!agent_gone) c->exit_report({worker, exit.exit_code, exit.signal, requested, orrery::now()});
    c->stop(std::chrono::milliseconds(agent_gone ? 0 : 3000));
  }
  if (exit.signal) return 128 + exit.signal;
  return exit.exit_code;
}
