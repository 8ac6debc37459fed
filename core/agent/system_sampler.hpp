// Per-rank system figures, sampled by the agent once a second: CPU % and
// resident memory from /proc, and GPU utilisation and memory through NVML
// when the driver provides it (loaded at run time: the library comes with
// the driver, not the toolkit).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace orrery::agent {

struct SystemSample {
  std::string name;   // cpu_percent, rss_mb, gpu_util_percent, gpu_mem_mb
  double value = 0;
};

class Nvml;

class SystemSampler {
 public:
  SystemSampler();
  ~SystemSampler();
  // Number of GPUs NVML reports (0 without a driver); a one-line note on why is in note().
  int gpu_count() const;
  const std::string& note() const { return note_; }
  // Samples one rank's process; gpu_index < 0: no GPU figures.
  std::vector<SystemSample> sample(int pid, int gpu_index, double now);

 private:
  struct CpuMark {
    std::uint64_t ticks = 0;
    double time = 0;
  };
  std::map<int, CpuMark> last_;
  std::string note_;            // before nvml_: Nvml::load() writes it during construction
  std::unique_ptr<Nvml> nvml_;
};

}  // namespace orrery::agent
