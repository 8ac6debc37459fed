// Append throughput of RunH5Writer: points/s from first append to a closed run.h5.
//
// The agent's pattern: many ranks, each shipping batches of points for each of its
// metrics; the writer flushes on an interval. Here the interval is a point count so
// runs are repeatable (--flush-every, default 2M points: one second at 2M points/s).
// The time includes filling each batch (one store per field, as the agent decodes
// the wire) and every HDF5 write, flush and the final close.
//
//   bench_h5_append [--ranks 8] [--metrics 16] [--points 20000000] [--batch 256]
//                   [--flush-every 2000000] [--out run.h5]
// Prints one line: orrery points=... seconds=... points_per_s=...

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_h5_writer.hpp"

namespace {

struct Options {
  int ranks = 8;
  int metrics = 16;
  long long points = 20'000'000;
  int batch = 256;
  long long flush_every = 2'000'000;
  std::string out = "bench-run.h5";
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--ranks") o.ranks = std::atoi(v);
    else if (k == "--metrics") o.metrics = std::atoi(v);
    else if (k == "--points") o.points = std::atoll(v);
    else if (k == "--batch") o.batch = std::atoi(v);
    else if (k == "--flush-every") o.flush_every = std::atoll(v);
    else if (k == "--out") o.out = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (o.ranks < 1 || o.metrics < 1 || o.batch < 1 || o.points < 1 || o.flush_every < 1) {
    std::fprintf(stderr, "all options must be positive\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace orrery::runfiles;
  Options o = parse(argc, argv);
  const int series = o.ranks * o.metrics;
  std::vector<std::string> names;
  for (int m = 0; m < o.metrics; ++m) names.push_back("train/metric_" + std::to_string(m));
  std::vector<std::int64_t> next_step(static_cast<std::size_t>(series), 0);
  std::vector<std::int64_t> steps(static_cast<std::size_t>(o.batch));
  std::vector<double> times(static_cast<std::size_t>(o.batch)), values(static_cast<std::size_t>(o.batch));

  auto t0 = std::chrono::steady_clock::now();
  long long written = 0, since_flush = 0;
  {
    RunH5Writer w(o.out, {"bench", "bench", o.ranks});
    while (written < o.points) {
      for (int s = 0; s < series && written < o.points; ++s) {
        auto& step = next_step[static_cast<std::size_t>(s)];
        for (int i = 0; i < o.batch; ++i) {
          steps[static_cast<std::size_t>(i)] = step + i;
          times[static_cast<std::size_t>(i)] = 1.7e9 + static_cast<double>(step + i) * 1e-3;
          values[static_cast<std::size_t>(i)] = static_cast<double>(s) + static_cast<double>(i) * 1e-6;
        }
        step += o.batch;
        if (!w.append_series("metrics", s % o.ranks, names[static_cast<std::size_t>(s / o.ranks)], steps, times,
                             values)) {
          std::fprintf(stderr, "append refused\n");
          return 1;
        }
        written += o.batch;
        since_flush += o.batch;
        if (since_flush >= o.flush_every) {
          w.flush();
          since_flush = 0;
        }
      }
    }
    w.close();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Check that everything arrived (outside the timing).
  RunH5Reader r(o.out);
  long long read_back = 0;
  for (const auto& k : r.list_series()) read_back += static_cast<long long>(r.read_series(k).steps.size());
  if (read_back != written) {
    std::fprintf(stderr, "read back %lld points, wrote %lld\n", read_back, written);
    return 1;
  }
  std::printf("orrery points=%lld seconds=%.3f points_per_s=%.0f file_bytes=%ju\n", written, seconds,
              static_cast<double>(written) / seconds,
              static_cast<std::uintmax_t>(std::filesystem::file_size(o.out)));
  return 0;
}
