// bench_checkpoint_stats FILE [--diff OTHER]: the checkpoint browser's scan without the
// GUI: every numeric tensor's statistics streamed through core/h5inspect (and, with
// --diff, the per-tensor diff of the two files). Prints one line of figures:
//   tensors= elements= seconds= melements_per_s= mib_per_s= peak_rss_mib= rss_before_mib=
// Peak RSS is the process's high-water mark (getrusage): it shows that memory stays at a
// block, not at the file's size.
#include "h5inspect/tensor_stats.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;   // Linux: KiB
}

}  // namespace

int main(int argc, char** argv) {
  using namespace orrery::h5inspect;
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--diff") == 0)) {
    std::fprintf(stderr, "usage: %s FILE [--diff OTHER]\n", argv[0]);
    return 2;
  }
  try {
    const double rss_before = peak_rss_mib();
    const auto t0 = std::chrono::steady_clock::now();
    TensorFile file(argv[1]);
    std::uint64_t elements = 0, bytes = 0, nans = 0;
    std::size_t tensors = 0;
    double checksum = 0;   // keeps the statistics live; printed so a reader can compare runs
    if (argc == 2) {
      for (const auto& t : file.tensors()) {
        if (!t.numeric()) continue;
        TensorStats s = tensor_stats(file, t);
        ++tensors;
        elements += s.count;
        bytes += t.bytes();
        nans += s.nans;
        checksum += s.norm;
      }
    } else {
      TensorFile other(argv[3]);
      for (const auto& d : diff_files(file, other)) {
        ++tensors;
        elements += 2 * d.elements;
        bytes += 2 * d.elements * sizeof(float);
        checksum += d.diff_norm;
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("mode=%s tensors=%zu elements=%llu seconds=%.3f melements_per_s=%.1f mib_per_s=%.1f "
                "peak_rss_mib=%.1f rss_before_mib=%.1f nans=%llu checksum=%.6g\n",
                argc == 2 ? "stats" : "diff", tensors, static_cast<unsigned long long>(elements), seconds,
                static_cast<double>(elements) / seconds / 1e6, static_cast<double>(bytes) / seconds / (1 << 20),
                peak_rss_mib(), rss_before, static_cast<unsigned long long>(nans), checksum);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_checkpoint_stats: %s\n", e.what());
    return 1;
  }
  return 0;
}
