// A measure of the machine's speed independent of the workload: a fixed, small piece of the
// serving kernels' work (gpt-train's matmul_forward and gelu_forward on fixed inputs: one
// token projected from 128 to 3072 channels and its GELU, a decode step's shape, ~0.3 ms on
// this machine's cores), timed on the rank's own thread at regular points of wall time while
// the rank is idle (probe_schedule.hpp). Its 1.5 MB of weights, as many bytes as a decode step
// of the e2e tests' 2-layer, 128-channel model reads, are evicted by the serving and the idle
// stretch before each probe, so each probe reads them back through the cache hierarchy as a
// decode step reads the model's: others' processes taking the core, a lower clock, or a host
// whose memory others keep busy slow it as they slow an iteration, so serve-sim can scale a
// cost model fitted on one run to the machine another run saw (plugins/serve-sim/README.md).
// The work is the same every time (same inputs, same result), so only the machine changes it.
//
// Its size: three shapes timed side by side in the same idle slots of 2 x 24 runs on the
// shared VM (2026-11-26), against the runs' slowdown (residual rms of the ratio): 1 x 128 ->
// 3072 3.1 and 2.7 %; 1 x 128 -> 768 (the probe from 16:00 to 18:00 that day, 384 KB, ~0.1 ms)
// 4.4 and 4.3 %; 16 x 128 -> 768 (a prefill's shape) 4.1 and 5.1 %. The larger one was once
// refused for costing longer than a decode step; since probes run only where no request waits,
// its length costs the requests nothing.
//
// A short probe is rarely preempted, so it sees the core's speed but not how much of the core
// the rank gets when others' processes share it (time slices of milliseconds). That share is
// the kernel's account of the thread (/proc/thread-self/schedstat: time on the CPU and time
// runnable but waiting for it), read at each probe: ThreadCpuAccount.
#pragma once

#include <optional>
#include <vector>

namespace orrery::serve {

class SpeedProbe {
 public:
  // Shapes of the probe's work: out (rows x 2C) = gelu(in (rows x C) @ w^T), C = 128.
  static constexpr int kProbeRows = 1, kProbeChannels = 128, kProbeOutputs = 24 * kProbeChannels;

  SpeedProbe();

  // Runs the probe's work once and returns its duration in seconds (steady clock).
  double run();
  // The probe's result, the same on every run (a checksum of the output): what makes the
  // work fixed.
  double checksum() const;

 private:
  std::vector<float> in_, w_, hidden_, out_;
};

// The calling thread's time on a CPU and time waiting, runnable, for one (seconds, since the
// thread started); nullopt where the kernel does not keep them (no schedstat).
struct ThreadCpuAccount {
  double running_s = 0, waiting_s = 0;
};
std::optional<ThreadCpuAccount> read_thread_cpu_account();

}  // namespace orrery::serve
