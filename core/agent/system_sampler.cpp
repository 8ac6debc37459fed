#include "agent/system_sampler.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace orrery::agent {

// The few NVML entry points we use, resolved with dlsym so the agent starts
// (and says so once) on machines without an NVIDIA driver.
class Nvml {
 public:
  static std::unique_ptr<Nvml> load(std::string& note) {
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      note = "no NVIDIA driver (libnvidia-ml.so.1 not found): no GPU figures; ranks run on CPU";
      return nullptr;
    }
    auto n = std::unique_ptr<Nvml>(new Nvml(lib));
    if (!n->init_ || !n->count_ || !n->handle_ || !n->util_ || !n->mem_ || n->init_() != 0) {
      note = "NVML present but unusable: no GPU figures";
      return nullptr;
    }
    unsigned count = 0;
    if (n->count_(&count) != 0) count = 0;
    n->count = static_cast<int>(count);
    note = "NVML: " + std::to_string(count) + " GPU(s)";
    return n;
  }
  ~Nvml() {
    if (shutdown_) shutdown_();
    dlclose(lib_);
  }
  bool sample(int index, double& util, double& mem_mb) {
    void* device = nullptr;
    if (handle_(static_cast<unsigned>(index), &device) != 0) return false;
    struct { unsigned gpu, memory; } rates{};
    struct { unsigned long long total, free, used; } memory{};
    if (util_(device, &rates) != 0 || mem_(device, &memory) != 0) return false;
    util = rates.gpu;
    mem_mb = static_cast<double>(memory.used) / (1024.0 * 1024.0);
    return true;
  }
  int count = 0;

 private:
  explicit Nvml(void* lib) : lib_(lib) {
    init_ = reinterpret_cast<int (*)()>(dlsym(lib, "nvmlInit_v2"));
    shutdown_ = reinterpret_cast<int (*)()>(dlsym(lib, "nvmlShutdown"));
    count_ = reinterpret_cast<int (*)(unsigned*)>(dlsym(lib, "nvmlDeviceGetCount_v2"));
    handle_ = reinterpret_cast<int (*)(unsigned, void**)>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    util_ = reinterpret_cast<int (*)(void*, void*)>(dlsym(lib, "nvmlDeviceGetUtilizationRates"));
    mem_ = reinterpret_cast<int (*)(void*, void*)>(dlsym(lib, "nvmlDeviceGetMemoryInfo"));
  }
  void* lib_;
  int (*init_)() = nullptr;
  int (*shutdown_)() = nullptr;
  int (*count_)(unsigned*) = nullptr;
  int (*handle_)(unsigned, void**) = nullptr;
  int (*util_)(void*, void*) = nullptr;
  int (*mem_)(void*, void*) = nullptr;
};

SystemSampler::SystemSampler() : nvml_(Nvml::load(note_)) {}
SystemSampler::~SystemSampler() = default;

int SystemSampler::gpu_count() const { return nvml_ ? nvml_->count : 0; }

std::vector<SystemSample> SystemSampler::sample(int pid, int gpu_index, double now) {
  std::vector<SystemSample> out;
  // /proc/<pid>/stat: fields 14 and 15 (after the parenthesised name) are utime and stime in ticks.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  if (close_paren != std::string::npos) {
    std::istringstream fields(text.substr(close_paren + 2));
    std::string field;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    std::uint64_t ticks = utime + stime;
    auto it = last_.find(pid);
    if (it != last_.end() && now > it->second.time) {
      double secs = static_cast<double>(ticks - it->second.ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
      out.push_back({"cpu_percent", 100.0 * secs / (now - it->second.time)});
    }
    last_[pid] = {ticks, now};
  }
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (statm >> size >> resident)
    out.push_back({"rss_mb", static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0)});
  double util = 0, mem = 0;
  if (nvml_ && gpu_index >= 0 && nvml_->sample(gpu_index, util, mem)) {
    out.push_back({"gpu_util_percent", util});
    out.push_back({"gpu_mem_mb", mem});
  }
  return out;
}

}  // namespace orrery::agent
