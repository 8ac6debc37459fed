// bench_agent_ingest: the agent's side of ingest on one thread, without processes,
// sockets or scheduling noise: what one telemetry point costs orrery-agent.
//
//   bench_agent_ingest [--ranks R] [--metrics M] [--points N] [--batch B] [--flush-every F]
//                      [--steps same|disjoint] [--keep DIR]
//
// Frames are made once, as the runtime's sender makes them (telemetry::encode of a
// Batch with B points per rank, M names, dense steps), then replayed in rank-interleaved
// order through what orrery-agent's loop does with each frame: telemetry::decode,
// Ingest::accept (per-rank series + rank reduction into the run.h5 writer's buffers),
// and RunH5Writer::flush every F points (the agent flushes every 500 ms). Prints the
// cost per point of each stage and the single-thread ceiling in points/s. Costs are
// measured as this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: user + system, page
// faults included), so other load on the machine does not inflate them; wall time
// is printed too. --steps disjoint gives every rank its own steps (rank r logs steps
// r, r+R, ...: no step is ever complete), the worst case for the rank reduction.
// --keep DIR keeps run.h5 there for inspection.
#include "agent/ingest.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "telemetry/wire.hpp"

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {
using Clock = std::chrono::steady_clock;
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  int ranks = 2, metrics = 4;
  long long points = 8'000'000, batch = 40'000, flush_every = 1'000'000;
  std::string out = "/tmp/orrery-bench-agent-ingest-" + std::to_string(getpid()), steps = "same";
  bool keep = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ranks")) ranks = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--metrics")) metrics = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--points")) points = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--flush-every")) flush_every = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps")) steps = argv[i + 1];
    else if (!std::strcmp(argv[i], "--keep")) { out = argv[i + 1]; keep = true; }
    else {
      std::fprintf(stderr, "usage: bench_agent_ingest [--ranks R] [--metrics M] [--points N] [--batch B] [--flush-every F] [--steps same|disjoint] [--keep DIR]\n");
      return 2;
    }
  }
  namespace fs = std::filesystem;
  fs::remove_all(out);
  fs::create_directories(out);
  const long long per_rank = points / ranks;
  const long long frames_per_rank = (per_rank + batch - 1) / batch;

  // Encode every frame up front (the ranks' work, not the agent's).
  std::vector<std::vector<std::string>> frames(static_cast<std::size_t>(ranks));
  const double t_base = 1.8e9;
  for (int r = 0; r < ranks; ++r) {
    long long i = 0;
    for (long long f = 0; f < frames_per_rank; ++f) {
      orrery::telemetry::Batch b;
      b.rank = r;
      b.source = "worker";
      b.seq = static_cast<std::uint64_t>(f);
      b.metrics.resize(static_cast<std::size_t>(metrics));
      for (int m = 0; m < metrics; ++m) b.metrics[static_cast<std::size_t>(m)].name = "flood/m" + std::to_string(m);
      const long long end = std::min(per_rank, i + batch);
      for (; i < end; ++i) {
        auto& s = b.metrics[static_cast<std::size_t>(i % metrics)];
        s.steps.push_back(steps == "disjoint" ? (i / metrics) * ranks + r : i / metrics);
        s.times.push_back(t_base + static_cast<double>(i) * 1e-7);
        s.values.push_back(static_cast<double>(i) * 0.5);
      }
      frames[static_cast<std::size_t>(r)].push_back(orrery::telemetry::encode(b));
    }
  }
  std::size_t frame_bytes = 0;
  for (auto& fr : frames)
    for (auto& f : fr) frame_bytes += f.size();

  orrery::runfiles::RunH5Writer writer(fs::path(out) / "run.h5", {"bench", "command", ranks});
  orrery::agent::Ingest ingest(writer, fs::path(out) / "logs", ranks);
  double t_decode = 0, t_accept = 0, t_flush = 0;
  long long since_flush = 0, total = 0;
  const auto t0 = Clock::now();
  const double c0 = cpu_now();
  for (long long f = 0; f < frames_per_rank; ++f) {
    for (int r = 0; r < ranks; ++r) {
      const auto& frame = frames[static_cast<std::size_t>(r)][static_cast<std::size_t>(f)];
      double t = cpu_now();
      auto decoded = orrery::telemetry::decode(frame.data(), frame.size());
      t_decode += cpu_now() - t;
      if (!decoded) {
        std::fprintf(stderr, "decode failed\n");
        return 1;
      }
      const auto n = static_cast<long long>(decoded->record_count());
      t = cpu_now();
      ingest.accept(*decoded);
      t_accept += cpu_now() - t;
      since_flush += n;
      total += n;
      if (since_flush >= flush_every) {
        t = cpu_now();
        writer.flush();
        t_flush += cpu_now() - t;
        since_flush = 0;
      }
    }
  }
  double t = cpu_now();
  ingest.finish();
  writer.flush();
  writer.close();
  t_flush += cpu_now() - t;
  const double cpu = cpu_now() - c0;
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double np = static_cast<double>(total);
  std::printf("agent ingest, one thread: %d ranks x %d metrics, %lld points, %s steps, frames of %lld points (%.1f bytes/point on the wire)\n",
              ranks, metrics, total, steps.c_str(), batch, static_cast<double>(frame_bytes) / np);
  std::printf("  decode  %7.1f ns/point  CPU\n  accept  %7.1f ns/point  CPU  (series + rank reduction into the writer's buffers)\n"
              "  flush   %7.1f ns/point  CPU  (HDF5 hyperslab writes, H5Fflush, close)\n"
              "  total   %7.1f ns/point  CPU = %.2f Mpoints/s per core   (wall: %.1f ns/point, %.2f Mpoints/s)\n",
              t_decode * 1e9 / np, t_accept * 1e9 / np, t_flush * 1e9 / np, cpu * 1e9 / np, np / cpu / 1e6,
              wall * 1e9 / np, np / wall / 1e6);
  if (!keep) fs::remove_all(out);
  return 0;
}
