// orrery-allreduce-bench: MPI_Allreduce latency and bandwidth per message size,
// measured the way OSU's osu_allreduce does, reported through the Orrery runtime.
//
// For each size (doubling from --min_bytes to --max_bytes): warm-up calls, then
// timed calls, each preceded by a barrier so every call starts with all ranks
// present and measures the collective, not the skew between ranks. A rank's
// latency is its average time per call; the reported latency is the maximum
// over ranks (the collective is only done when the slowest rank is done).
//
// One size's measurement and report live in allreduce_measure.cpp, shared with
// bench/allreduce_compare (which runs it beside a plain MPI loop on the same buffers).
//
// Each call is also timed on its own: the per-call time of the collective is the
// maximum over ranks of that call's time, and its median over the calls is reported
// too (median_latency_us, busbw_median_GBps). On a shared machine one preemption in
// 100 calls of a few microseconds moves the average by tens of percent; the median
// does not move, so it is the figure to compare runs by (bench/allreduce_compare does).

#include <mpi.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orrery/runtime.hpp>

#include "allreduce_measure.hpp"
#include <orrery/mpi_handles.hpp>

namespace {

using orrery::mpi::kWorld;

using orrery::allreduce::human_bytes;

constexpr std::int64_t kLargeMessage = 1 << 20;   // sizes above this use --large_iterations
constexpr std::int64_t kMaxBytes = std::int64_t{1} << 30;

struct Options {
  std::int64_t min_bytes = 8;
  std::int64_t max_bytes = 64 << 20;
  std::int64_t iterations = 100;
  std::int64_t large_iterations = 20;
  std::int64_t warmup = 10;
};

const char* const kUsage =
    "usage: orrery-allreduce-bench [--min_bytes=N] [--max_bytes=N] [--iterations=N]\n"
    "                              [--large_iterations=N] [--warmup=N]\n"
    "  --min_bytes         smallest message size in bytes (default 8, at least 4)\n"
    "  --max_bytes         largest message size in bytes (default 67108864, at most 1073741824)\n"
    "  --iterations        timed calls per size up to 1 MiB (default 100)\n"
    "  --large_iterations  timed calls per size above 1 MiB (default 20)\n"
    "  --warmup            untimed calls before each size (default 10)\n";

// Parses the "--name=value" arguments render_command produces. Returns an
// error message, or nullopt when the options are usable.
std::optional<std::string> parse_options(int argc, char** argv, Options& opt, bool& help) {
  struct Flag {
    std::string_view name;
    std::int64_t* value;
    std::int64_t min;
  };
  const Flag flags[] = {{"min_bytes", &opt.min_bytes, 4},   {"max_bytes", &opt.max_bytes, 4},
                        {"iterations", &opt.iterations, 1}, {"large_iterations", &opt.large_iterations, 1},
                        {"warmup", &opt.warmup, 0}};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return std::nullopt;
    }
    auto eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos)
      return "unexpected argument '" + std::string(arg) + "' (expected --name=value)";
    std::string_view name = arg.substr(2, eq - 2), text = arg.substr(eq + 1);
    auto flag = std::find_if(std::begin(flags), std::end(flags), [&](const Flag& f) { return f.name == name; });
    if (flag == std::end(flags)) return "unknown option '--" + std::string(name) + "'";
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
      return "--" + std::string(name) + " expects an integer, got '" + std::string(text) + "'";
    if (v < flag->min) return "--" + std::string(name) + " must be at least " + std::to_string(flag->min);
    *flag->value = v;
  }
  if (opt.max_bytes > kMaxBytes) return "--max_bytes must be at most 1073741824 (1 GiB)";
  if (opt.min_bytes > opt.max_bytes)
    return "--min_bytes (" + std::to_string(opt.min_bytes) + ") is larger than --max_bytes (" +
           std::to_string(opt.max_bytes) + ")";
  return std::nullopt;
}

// Message sizes in bytes, whole floats only (a float sum needs whole elements).
std::vector<std::int64_t> message_sizes(const Options& opt) {
  std::vector<std::int64_t> sizes;
  for (std::int64_t b = opt.min_bytes; b <= opt.max_bytes; b *= 2) sizes.push_back(b / 4 * 4);
  return sizes;
}

int run(int rank, int ranks, const Options& opt) {
  const auto sizes = message_sizes(opt);
  std::vector<float> send, recv;
  std::vector<double> calls;
  try {
    calls.assign(static_cast<std::size_t>(std::max(opt.iterations, opt.large_iterations)), 0.0);
    send.assign(static_cast<std::size_t>(sizes.back() / 4), static_cast<float>(rank + 1));
    recv.assign(send.size(), 0.0f);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "orrery-allreduce-bench: rank %d cannot allocate 2 x %s for the message buffers\n", rank,
                 human_bytes(sizes.back()).c_str());
    MPI_Abort(kWorld, 1);
  }

  const orrery::allreduce::SizeReporter reporter(ranks);
  if (rank == 0) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string lib(version, static_cast<std::size_t>(len));
    lib = lib.substr(0, lib.find_first_of(",\n"));
    std::printf("# orrery-allreduce-bench: MPI_Allreduce, float sum, %d ranks (%s)\n", ranks, lib.c_str());
    std::printf("# sizes %s .. %s; %lld timed calls per size (%lld above 1 MiB); %lld warm-up calls\n",
                human_bytes(sizes.front()).c_str(), human_bytes(sizes.back()).c_str(),
                static_cast<long long>(opt.iterations), static_cast<long long>(opt.large_iterations),
                static_cast<long long>(opt.warmup));
    std::printf("# %12s %8s %14s %12s %12s %14s %12s\n", "bytes", "calls", "latency_us", "algbw_GBps", "busbw_GBps",
                "median_us", "busbw_median");
    std::fflush(stdout);
  }

  bool all_correct = true;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::int64_t bytes = sizes[i];
    const std::int64_t iterations = bytes > kLargeMessage ? opt.large_iterations : opt.iterations;
    const auto [m, f] = reporter.measure_and_report(send, recv, calls, bytes, iterations, opt.warmup);
    if (rank == 0) {
      std::printf("  %12lld %8lld %14.3f %12.4f %12.4f %14.3f %12.4f\n", static_cast<long long>(bytes),
                  static_cast<long long>(iterations), f.latency_us, f.algbw_GBps, f.busbw_GBps, f.median_latency_us,
                  f.busbw_median_GBps);
      std::fflush(stdout);
    }
    if (!m.correct) {
      all_correct = false;
      if (rank == 0) {
        std::string text = "wrong allreduce result at " + human_bytes(bytes);
        std::fprintf(stderr, "orrery-allreduce-bench: %s\n", text.c_str());
        orrery::event("error", text, bytes);
      }
    }
    orrery::progress(static_cast<double>(i + 1), static_cast<double>(sizes.size()));
  }
  return all_correct ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  orrery::init();
  int rank = 0, ranks = 1;
  MPI_Comm_rank(kWorld, &rank);
  MPI_Comm_size(kWorld, &ranks);

  Options opt;
  bool help = false;
  int status = 0;
  if (auto error = parse_options(argc, argv, opt, help)) {
    // Every rank sees the same arguments; one message is enough.
    if (rank == 0) std::fprintf(stderr, "orrery-allreduce-bench: %s\n%s", error->c_str(), kUsage);
    status = 2;
  } else if (help) {
    if (rank == 0) std::fputs(kUsage, stdout);
  } else {
    status = run(rank, ranks, opt);
  }

  orrery::shutdown();
  MPI_Finalize();
  return status;
}
