#pragma once
// One message size of the allreduce-bench job kind: timed MPI_Allreduce calls, measured
// the way OSU's osu_allreduce does, and reported through the Orrery runtime. The worker
// (allreduce_bench.cpp) runs it for each size; bench/allreduce_compare runs it
// alternately with a plain MPI loop inside one mpirun, on the same buffers.

#include <cstdint>
#include <string>
#include <vector>

#include <orrery/runtime.hpp>

namespace orrery::allreduce {

struct Measurement {
  double latency_s;         // max over ranks of the average time per call
  double median_latency_s;  // median over calls of the call's max over ranks
  double local_latency_s;   // this rank's own average: its spread shows imbalance
  bool correct;             // every rank got the exact sum
};

// `warmup` untimed calls, then `iterations` timed calls of `bytes` / 4 floats, each
// after a barrier. `send` holds rank + 1 everywhere; `recv` at least as many floats;
// `calls` has room for `iterations` (so nothing is allocated while timing).
Measurement measure(std::vector<float>& send, std::vector<float>& recv, std::vector<double>& calls,
                    std::int64_t bytes, std::int64_t iterations, std::int64_t warmup, int ranks);

// "8 B", "4 KiB", "64 MiB".
std::string human_bytes(std::int64_t bytes);

// The figures of one size: latency, algorithm and bus bandwidth (busbw = algbw·2(n−1)/n),
// from the average and from the median call.
struct Figures {
  double latency_us, algbw_GBps, busbw_GBps, median_latency_us, busbw_median_GBps;
};
Figures figures(const Measurement& m, std::int64_t bytes, int ranks);

// Measures one size and sends its figures as metrics (x = bytes) and its span to the runtime.
class SizeReporter {
 public:
  explicit SizeReporter(int ranks);
  struct Result {
    Measurement measurement;
    Figures figures;
  };
  Result measure_and_report(std::vector<float>& send, std::vector<float>& recv, std::vector<double>& calls,
                            std::int64_t bytes, std::int64_t iterations, std::int64_t warmup) const;

 private:
  int ranks_;
  Metric latency_us_{"latency_us"}, algbw_{"algbw_GBps"}, busbw_{"busbw_GBps"}, local_latency_us_{"local_latency_us"},
      median_latency_us_{"median_latency_us"}, busbw_median_{"busbw_median_GBps"};
};

}  // namespace orrery::allreduce
