// A measure of the machine's speed independent of the workload: a fixed, small piece of the
// serving kernels' work (gpt-train's matmul_forward and gelu_forward on fixed inputs: one
// token projected from 128 to 768 channels and its GELU, a decode step's shape, ~100 us on
// this machine's cores), timed on the rank's own thread at regular points of wall time while
// the rank is idle (probe_schedule.hpp). Its 384 KB of weights are evicted by the serving and
// the idle stretch before each probe, so each probe
// reads them back through the cache hierarchy as a decode step reads the model's: others'
// processes taking the core, a lower clock, or a host whose memory others keep busy slow it
// as they slow an iteration, so serve-sim can scale a cost model fitted on one run to the
// machine another run saw (plugins/serve-sim/README.md). Over 18 runs on the shared VM (the
// probes side by side in the same runs) this shape tracked the runs' slowdown with
// correlation 0.91, residual 3.6 % rms, against 0.83 and 4.8 % for the earlier 4 tokens from
// 128 to 256 channels (128 KB, ~65 us). The work is the same every time (same inputs, same
// result), so only the machine changes it.
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
  static constexpr int kProbeRows = 1, kProbeChannels = 128, kProbeOutputs = 6 * kProbeChannels;

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
