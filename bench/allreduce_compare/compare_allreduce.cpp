// bench_allreduce_compare: the allreduce-bench worker's measurement against a plain
// MPI_Allreduce loop, inside one mpirun, size by size, on the same buffers.
//
// Two separate programs (the worker and a plain loop, run alternately) disagreed by
// 5-30 % at random sizes from one run to the next on the 2-core VM, in either
// direction: each process gets its own buffer addresses, shared-memory segments and
// scheduling, and those decide a few-microsecond collective more than the code does.
// Here both loops use the same send/receive buffers in the same processes and
// alternate for each size (which goes first alternates too), so the only difference
// left is the code: the worker's SizeReporter (timed calls plus its metrics and span
// through the Orrery runtime) against the loop below, written independently of it.
//
// usage: bench_allreduce_compare [--min_bytes=8] [--max_bytes=4194304] [--iterations=1000]
//                                [--large_iterations=100] [--warmup=10] [--repeats=9] [--tolerance=5]
// Per size and program: busbw from the median call (each call's slowest rank), for each
// repeat. Printed: the median over repeats of each program, and the median over repeats
// of the paired ratio orrery/plain (the verdict). Exit 0 when every size agrees within
// the tolerance (percent), 1 otherwise, 2 on bad arguments.

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <orrery/runtime.hpp>

#include "allreduce_measure.hpp"
#include <orrery/mpi_handles.hpp>

namespace {

using namespace orrery::mpi;

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The plain loop: barrier, time one call, keep it; then the slowest rank per call, its
// median, and the check of the sums, as OSU's osu_allreduce and the worker do.
// Returns the median call's time in seconds.
double plain_median_call(std::vector<float>& send, std::vector<float>& recv, std::vector<double>& calls,
                         long long bytes, long long iterations, long long warmup, int ranks) {
  const int count = static_cast<int>(bytes / 4);
  for (long long i = 0; i < warmup; ++i) MPI_Allreduce(send.data(), recv.data(), count, kFloat, kSum, kWorld);
  for (long long i = 0; i < iterations; ++i) {
    MPI_Barrier(kWorld);
    const double t0 = MPI_Wtime();
    MPI_Allreduce(send.data(), recv.data(), count, kFloat, kSum, kWorld);
    calls[static_cast<std::size_t>(i)] = MPI_Wtime() - t0;
  }
  MPI_Allreduce(kInPlace, calls.data(), static_cast<int>(iterations), kDouble, kMax, kWorld);
  const float expected = static_cast<float>(ranks) * static_cast<float>(ranks + 1) / 2.0f;
  int bad = std::any_of(recv.begin(), recv.begin() + count, [&](float v) { return v != expected; }) ? 1 : 0, any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, kInt, kMax, kWorld);
  if (any_bad) {
    std::fprintf(stderr, "bench_allreduce_compare: plain loop got a wrong sum at %lld bytes\n", bytes);
    MPI_Abort(kWorld, 1);
  }
  return median_of({calls.begin(), calls.begin() + iterations});
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  orrery::init();   // as the worker does; started by hand, telemetry is off (one notice)
  int rank = 0, ranks = 1;
  MPI_Comm_rank(kWorld, &rank);
  MPI_Comm_size(kWorld, &ranks);

  long long min_bytes = 8, max_bytes = 4LL << 20, iterations = 1000, large_iterations = 100, warmup = 10, repeats = 9;
  double tolerance = 5;
  for (int i = 1; i < argc; ++i) {
    struct Flag {
      const char* prefix;
      long long* value;
    } flags[] = {{"--min_bytes=", &min_bytes}, {"--max_bytes=", &max_bytes}, {"--iterations=", &iterations},
                 {"--large_iterations=", &large_iterations}, {"--warmup=", &warmup}, {"--repeats=", &repeats}};
    bool known = false;
    for (const Flag& f : flags)
      if (std::strncmp(argv[i], f.prefix, std::strlen(f.prefix)) == 0) {
        *f.value = std::atoll(argv[i] + std::strlen(f.prefix));
        known = true;
      }
    if (std::strncmp(argv[i], "--tolerance=", 12) == 0) {
      tolerance = std::atof(argv[i] + 12);
      known = true;
    }
    if (!known || min_bytes < 4 || max_bytes < min_bytes || iterations < 1 || large_iterations < 1 || repeats < 1) {
      if (rank == 0) std::fprintf(stderr, "bench_allreduce_compare: bad argument '%s'\n", argv[i]);
      orrery::shutdown();
      MPI_Finalize();
      return 2;
    }
  }

  std::vector<float> send(static_cast<std::size_t>(max_bytes / 4), static_cast<float>(rank + 1)), recv(send.size(), 0.0f);
  std::vector<double> calls(static_cast<std::size_t>(std::max(iterations, large_iterations)));
  const orrery::allreduce::SizeReporter worker(ranks);
  const double bus_factor = 2.0 * (ranks - 1) / ranks;

  if (rank == 0) {
    std::printf("# busbw (GB/s) from the median call, %d ranks, median of %lld alternating repeats per size\n", ranks,
                repeats);
    std::printf("# diff: median over repeats of the paired ratio orrery/plain, minus 1\n");
    std::printf("%12s %8s %12s %12s %9s %9s\n", "bytes", "calls", "plain", "orrery", "diff", "spread");
    std::fflush(stdout);
  }
  double worst = 0;
  for (long long size = min_bytes; size <= max_bytes; size *= 2) {
    const long long bytes = size / 4 * 4;
    const long long iters = bytes > (1 << 20) ? large_iterations : iterations;
    std::vector<double> plain, orrery, ratio;
    for (long long r = 0; r < repeats; ++r) {
      double plain_s = 0, orrery_s = 0;
      const auto run_plain = [&] { plain_s = plain_median_call(send, recv, calls, bytes, iters, warmup, ranks); };
      const auto run_orrery = [&] {
        const auto result = worker.measure_and_report(send, recv, calls, bytes, iters, warmup);
        if (!result.measurement.correct) {
          if (rank == 0) std::fprintf(stderr, "bench_allreduce_compare: worker got a wrong sum at %lld bytes\n", bytes);
          MPI_Abort(kWorld, 1);
        }
        orrery_s = result.measurement.median_latency_s;
      };
      if (r % 2) { run_orrery(); run_plain(); } else { run_plain(); run_orrery(); }
      plain.push_back(static_cast<double>(bytes) / plain_s / 1e9 * bus_factor);
      orrery.push_back(static_cast<double>(bytes) / orrery_s / 1e9 * bus_factor);
      ratio.push_back(orrery.back() / plain.back());
    }
    const double diff = (median_of(ratio) - 1) * 100;
    const auto [lo, hi] = std::minmax_element(ratio.begin(), ratio.end());
    worst = std::max(worst, std::abs(diff));
    if (rank == 0) {
      std::printf("%12lld %8lld %12.4f %12.4f %+8.1f%% %8.0f%%%s\n", bytes, iters, median_of(plain), median_of(orrery),
                  diff, (*hi - *lo) * 100, std::abs(diff) > tolerance ? "  <-- over tolerance" : "");
      std::fflush(stdout);
    }
  }
  if (rank == 0)
    std::printf("# largest difference %.1f%% (tolerance %.1f%%): %s\n", worst, tolerance,
                worst > tolerance ? "DIFFERENT" : "agree");
  orrery::shutdown();
  MPI_Finalize();
  return worst > tolerance ? 1 : 0;
}
