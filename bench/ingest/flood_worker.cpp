// bench_flood_worker: floods the telemetry path with metric points.
//
//   bench_flood_worker [--points N] [--metrics M] [--rate R] [--pace spin|sleep] [--progress-every K]
//
// Logs N points (per rank) round-robin over M metric names (flood/m0 .. flood/m{M-1};
// point i goes to metric i % M with step i / M) through orrery::Metric handles, then
// calls orrery::shutdown() and prints one line with its own rate and the runtime's
// counters (recorded, sent, dropped). With --rate R > 0 it paces itself to R points/s
// (checked every 64 points, against an absolute schedule) so run.sh can find the highest
// rate the pipeline sustains without dropping; with R = 0 (default) it logs as fast as it
// can. --pace spin (default) busy-waits between blocks: the rank keeps its core, as a
// rank that computes between two log calls does; --pace sleep sleeps instead when it is
// ahead, leaving the core to the agent and the other ranks.
//
// The result line is plain text (never JSON, so orrery-rank does not parse it as a
// metric line) and lands in the run's logs/rank-N.log:
//   flood-result rank=0 points=5000000 seconds=1.234 points_per_s=4051863 recorded=... sent=... dropped=...
#include "orrery/runtime.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_flood_worker: %s\n"
               "usage: bench_flood_worker [--points N] [--metrics M] [--rate POINTS_PER_S] [--pace spin|sleep] [--progress-every K]\n",
               why);
  std::exit(2);
}

double arg_number(int& i, int argc, char** argv) {
  if (i + 1 >= argc) usage("missing value");
  char* end = nullptr;
  double v = std::strtod(argv[++i], &end);
  if (!end || *end || v < 0) usage("bad number");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t points = 5'000'000;
  int metrics = 4;
  double rate = 0;
  std::int64_t progress_every = 100'000;
  bool sleep_pace = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--points")) points = static_cast<std::int64_t>(arg_number(i, argc, argv));
    else if (!std::strcmp(argv[i], "--metrics")) metrics = static_cast<int>(arg_number(i, argc, argv));
    else if (!std::strcmp(argv[i], "--rate")) rate = arg_number(i, argc, argv);
    else if (!std::strcmp(argv[i], "--pace") && i + 1 < argc) {
      const char* p = argv[++i];
      if (std::strcmp(p, "spin") && std::strcmp(p, "sleep")) usage("--pace is spin or sleep");
      sleep_pace = !std::strcmp(p, "sleep");
    }
    else if (!std::strcmp(argv[i], "--progress-every")) progress_every = static_cast<std::int64_t>(arg_number(i, argc, argv));
    else usage("unknown argument");
  }
  if (metrics < 1 || metrics > 1024) usage("--metrics must be 1..1024");
  if (progress_every < 1) progress_every = 1;

  const bool connected = orrery::init();
  std::vector<orrery::Metric> handles;
  handles.reserve(static_cast<std::size_t>(metrics));
  for (int m = 0; m < metrics; ++m) handles.emplace_back("flood/m" + std::to_string(m));

  const auto t0 = Clock::now();
  const double ns_per_point = rate > 0 ? 1e9 / rate : 0;
  std::int64_t i = 0;
  while (i < points) {
    // One block of up to 64 points, then (when paced) wait until the schedule allows the next block.
    const std::int64_t block_end = std::min(points, i + 64);
    for (; i < block_end; ++i) {
      const auto m = static_cast<std::size_t>(i % metrics);
      handles[m].log(i / metrics, static_cast<double>(i) * 0.5);
    }
    if (i % progress_every < 64) orrery::progress(static_cast<double>(i), static_cast<double>(points));
    if (ns_per_point > 0) {
      const auto due = t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(i) * ns_per_point));
      if (sleep_pace) {
        if (due - Clock::now() > std::chrono::microseconds(20)) std::this_thread::sleep_until(due);
      } else {
        while (Clock::now() < due) {
        }
      }
    }
  }
  orrery::progress(static_cast<double>(points), static_cast<double>(points));
  const double log_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  orrery::shutdown();
  const double total_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto st = orrery::stats();
  // CPU of the whole process (the logging thread and the runtime's sender thread): what
  // telemetry costs the rank, per point. With --rate the busy-wait pacing is counted too.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  std::printf("flood-result rank=%d connected=%d points=%lld rate_target=%.0f pace=%s seconds=%.4f points_per_s=%.0f "
              "seconds_with_shutdown=%.4f cpu_seconds=%.4f recorded=%llu sent=%llu dropped=%llu\n",
              orrery::rank(), connected ? 1 : 0, static_cast<long long>(points), rate, sleep_pace ? "sleep" : "spin", log_seconds,
              log_seconds > 0 ? static_cast<double>(points) / log_seconds : 0.0, total_seconds, cpu,
              static_cast<unsigned long long>(st.recorded), static_cast<unsigned long long>(st.sent),
              static_cast<unsigned long long>(st.dropped));
  std::fflush(stdout);
  return 0;
}
