#include "allreduce_measure.hpp"
#include <orrery/mpi_handles.hpp>

#include <mpi.h>

#include <algorithm>

namespace orrery::allreduce {
namespace {

using namespace mpi;

double median(std::vector<double>& v, std::size_t n) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.begin() + static_cast<std::ptrdiff_t>(n));
  if (n % 2) return *mid;
  return (*mid + *std::max_element(v.begin(), mid)) / 2;
}

}  // namespace

Measurement measure(std::vector<float>& send, std::vector<float>& recv, std::vector<double>& calls,
                    std::int64_t bytes, std::int64_t iterations, std::int64_t warmup, int ranks) {
  const int count = static_cast<int>(bytes / 4);
  const auto n = static_cast<std::size_t>(iterations);
  for (std::int64_t i = 0; i < warmup; ++i) MPI_Allreduce(send.data(), recv.data(), count, kFloat, kSum, kWorld);
  double busy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    MPI_Barrier(kWorld);
    const double t0 = MPI_Wtime();
    MPI_Allreduce(send.data(), recv.data(), count, kFloat, kSum, kWorld);
    const double t = MPI_Wtime() - t0;
    busy += t;
    calls[i] = t;
  }
  double mine = busy / static_cast<double>(iterations), slowest = 0;
  MPI_Allreduce(&mine, &slowest, 1, kDouble, kMax, kWorld);
  MPI_Allreduce(kInPlace, calls.data(), static_cast<int>(iterations), kDouble, kMax, kWorld);

  // Each rank sends rank+1, so every element must be n(n+1)/2, exact in float
  // for any realistic rank count. Checked outside the timed region.
  const float expected = static_cast<float>(ranks) * static_cast<float>(ranks + 1) / 2.0f;
  int bad = std::any_of(recv.begin(), recv.begin() + count, [&](float v) { return v != expected; }) ? 1 : 0, any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, kInt, kMax, kWorld);
  // The median sorts part of `calls` in place: it is not read again before the next size.
  return {slowest, median(calls, n), mine, any_bad == 0};
}

std::string human_bytes(std::int64_t b) {
  if (b >= (1 << 30) && b % (1 << 30) == 0) return std::to_string(b >> 30) + " GiB";
  if (b >= (1 << 20) && b % (1 << 20) == 0) return std::to_string(b >> 20) + " MiB";
  if (b >= (1 << 10) && b % (1 << 10) == 0) return std::to_string(b >> 10) + " KiB";
  return std::to_string(b) + " B";
}

Figures figures(const Measurement& m, std::int64_t bytes, int ranks) {
  const double bus_factor = 2.0 * (ranks - 1) / ranks;   // ring allreduce: each byte crosses 2(n-1)/n links
  const double alg = static_cast<double>(bytes) / m.latency_s / 1e9;
  return {m.latency_s * 1e6, alg, alg * bus_factor, m.median_latency_s * 1e6,
          static_cast<double>(bytes) / m.median_latency_s / 1e9 * bus_factor};
}

SizeReporter::SizeReporter(int ranks) : ranks_(ranks) {}

SizeReporter::Result SizeReporter::measure_and_report(std::vector<float>& send, std::vector<float>& recv,
                                                      std::vector<double>& calls, std::int64_t bytes,
                                                      std::int64_t iterations, std::int64_t warmup) const {
  const double start = now();
  const Measurement m = measure(send, recv, calls, bytes, iterations, warmup, ranks_);
  span("comm", "allreduce " + human_bytes(bytes), bytes, start, now());
  const Figures f = figures(m, bytes, ranks_);
  // Every rank reports the job's figures (identical on all ranks, so the rank-reduced
  // series has every rank) and its own local latency.
  latency_us_.log(bytes, f.latency_us);
  algbw_.log(bytes, f.algbw_GBps);
  busbw_.log(bytes, f.busbw_GBps);
  local_latency_us_.log(bytes, m.local_latency_s * 1e6);
  median_latency_us_.log(bytes, f.median_latency_us);
  busbw_median_.log(bytes, f.busbw_median_GBps);
  return {m, f};
}

}  // namespace orrery::allreduce
