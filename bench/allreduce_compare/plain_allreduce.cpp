// bench_plain_allreduce: a bare MPI_Allreduce timing loop, the reference for
// orrery-allreduce-bench. Same sizes, iteration counts and timing method
// (barrier before each timed call, max over ranks of the per-rank average),
// written independently of the worker so a mistake there cannot hide here.
//
// usage: bench_plain_allreduce [--min_bytes=8] [--max_bytes=67108864]
//                              [--iterations=100] [--large_iterations=20] [--warmup=10]
// Prints "bytes latency_us busbw_GBps median_us busbw_median" per size on rank 0: the
// average (OSU's figure) and, from the same calls, the median over calls of each call's
// slowest rank, as orrery-allreduce-bench does.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"   // Open MPI's handles are C casts
static const MPI_Datatype kFloat = MPI_FLOAT;
static const MPI_Datatype kDouble = MPI_DOUBLE;
static const MPI_Datatype kInt = MPI_INT;
static const MPI_Op kSum = MPI_SUM;
static const MPI_Op kMax = MPI_MAX;
static const MPI_Comm kWorld = MPI_COMM_WORLD;
static void* const kInPlace = MPI_IN_PLACE;
#pragma GCC diagnostic pop

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(kWorld, &rank);
  MPI_Comm_size(kWorld, &ranks);

  long long min_bytes = 8, max_bytes = 64LL << 20, iterations = 100, large_iterations = 20, warmup = 10;
  for (int i = 1; i < argc; ++i) {
    long long* target = nullptr;
    const char* value = std::strchr(argv[i], '=');
    if (value && std::strncmp(argv[i], "--min_bytes=", 12) == 0) target = &min_bytes;
    else if (value && std::strncmp(argv[i], "--max_bytes=", 12) == 0) target = &max_bytes;
    else if (value && std::strncmp(argv[i], "--iterations=", 13) == 0) target = &iterations;
    else if (value && std::strncmp(argv[i], "--large_iterations=", 19) == 0) target = &large_iterations;
    else if (value && std::strncmp(argv[i], "--warmup=", 9) == 0) target = &warmup;
    if (!target) {
      if (rank == 0) std::fprintf(stderr, "bench_plain_allreduce: unknown argument '%s'\n", argv[i]);
      MPI_Finalize();
      return 2;
    }
    *target = std::atoll(value + 1);
  }

  std::vector<float> send(static_cast<std::size_t>(max_bytes / 4), 1.0f), recv(send.size(), 0.0f);
  std::vector<double> calls(static_cast<std::size_t>(std::max(iterations, large_iterations)));
  if (rank == 0) std::printf("# %12s %14s %12s %14s %12s\n", "bytes", "latency_us", "busbw_GBps", "median_us", "busbw_median");
  for (long long size = min_bytes; size <= max_bytes; size *= 2) {
    const long long bytes = size / 4 * 4;
    const int count = static_cast<int>(bytes / 4);
    const long long iters = bytes > (1 << 20) ? large_iterations : iterations;
    for (long long i = 0; i < warmup; ++i) MPI_Allreduce(send.data(), recv.data(), count, kFloat, kSum, kWorld);
    double busy = 0;
    for (long long i = 0; i < iters; ++i) {
      MPI_Barrier(kWorld);
      const double t0 = MPI_Wtime();
      MPI_Allreduce(send.data(), recv.data(), count, kFloat, kSum, kWorld);
      const double t = MPI_Wtime() - t0;
      busy += t;
      calls[static_cast<std::size_t>(i)] = t;
    }
    double mine = busy / static_cast<double>(iters), slowest = 0;
    MPI_Allreduce(&mine, &slowest, 1, kDouble, kMax, kWorld);
    MPI_Allreduce(kInPlace, calls.data(), static_cast<int>(iters), kDouble, kMax, kWorld);
    // Check the sums between sizes, as the worker does: every rank sent 1.0, so each element
    // is the rank count. Without this read of recv and the extra collective between sizes
    // the worker came out 8-30 % faster at most sizes on the 2-core VM (a bias of the loops'
    // surroundings, not of the timed calls); with it the differences change sign run to run.
    const auto wrong = [&](float v) { return v != static_cast<float>(ranks); };
    int bad = std::any_of(recv.begin(), recv.begin() + count, wrong) ? 1 : 0, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, kInt, kMax, kWorld);
    if (any_bad && rank == 0) std::fprintf(stderr, "bench_plain_allreduce: wrong sum at %lld bytes\n", bytes);
    // Median over the calls of each call's slowest rank.
    std::vector<double> sorted(calls.begin(), calls.begin() + iters);
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                            : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
    if (rank == 0) {
      const double factor = 2.0 * (ranks - 1) / ranks;
      const double busbw = static_cast<double>(bytes) / slowest / 1e9 * factor;
      const double busbw_median = static_cast<double>(bytes) / median / 1e9 * factor;
      std::printf("  %12lld %14.3f %12.4f %14.3f %12.4f\n", bytes, slowest * 1e6, busbw, median * 1e6, busbw_median);
      std::fflush(stdout);
    }
  }
  MPI_Finalize();
  return 0;
}
