#include "serve/speed_probe.hpp"

#include <chrono>
#include <fstream>

#include "gpt/layers.hpp"

namespace orrery::serve {

SpeedProbe::SpeedProbe() {
  constexpr int C = kProbeChannels, OC = kProbeOutputs;
  in_.resize(static_cast<std::size_t>(kProbeRows) * C);
  w_.resize(static_cast<std::size_t>(OC) * C);
  hidden_.resize(static_cast<std::size_t>(kProbeRows) * OC);
  out_.resize(hidden_.size());
  // Fixed, small values (a deterministic pattern, no RNG): the same work every time.
  for (std::size_t i = 0; i < in_.size(); ++i) in_[i] = static_cast<float>(static_cast<int>(i % 17) - 8) / 16.0f;
  for (std::size_t i = 0; i < w_.size(); ++i) w_[i] = static_cast<float>(static_cast<int>(i % 13) - 6) / 64.0f;
}

double SpeedProbe::run() {
  const auto t0 = std::chrono::steady_clock::now();
  gpt::matmul_forward(hidden_.data(), in_.data(), w_.data(), nullptr, kProbeRows, kProbeChannels, kProbeOutputs);
  gpt::gelu_forward(out_.data(), hidden_.data(), static_cast<long>(out_.size()));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return seconds;
}

double SpeedProbe::checksum() const {
  double sum = 0;
  for (const float v : out_) sum += v;
  return sum;
}

std::optional<ThreadCpuAccount> read_thread_cpu_account() {
  // "<ns on the CPU> <ns waiting on a run queue> <time slices>" (Documentation/scheduler/sched-stats.rst).
  std::ifstream in("/proc/thread-self/schedstat");
  double running_ns = 0, waiting_ns = 0;
  if (!(in >> running_ns >> waiting_ns)) return std::nullopt;
  return ThreadCpuAccount{running_ns * 1e-9, waiting_ns * 1e-9};
}

}  // namespace orrery::serve
