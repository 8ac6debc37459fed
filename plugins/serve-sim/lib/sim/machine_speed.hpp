// The machine's speed, from gpt-serve's speed probe (a fixed piece of the serving kernels'
// work timed every speed_probe_ms on each rank: plugins/gpt-serve/lib/serve/speed_probe.hpp).
// A cost model fitted to runs served at one speed simulates a run served at another with its
// compute costs scaled by the ratio of the two runs' probe times: others' processes taking
// the cores slow a serving iteration and the probe alike, and the probe does not depend on
// the workload, so the ratio says how much slower the machine was, not how busy the server.
#pragma once

#include <vector>

#include "sim/cost_model.hpp"

namespace orrery::sim {

// What a run's speed probes measured, every rank's pooled: the probe times, and the ranks'
// time on the CPU and time runnable but waiting for one over the same time (gpt-serve's
// cpu_running_s and cpu_waiting_s; both 0 where the kernel kept no account).
struct SpeedProbes {
  std::vector<double> probe_s;
  double running_s = 0, waiting_s = 0;
};

// How slow the machine was, in seconds of the probe's work: the median probe time (the core's
// speed: a probe of ~0.2 ms is rarely preempted) times the contention (running + waiting) /
// running (how much longer work took because others' processes shared the core). Measured
// across 18 runs at different loads (bench/serve_sim/speed_probe_tracking.py), its ratio
// between runs tracks the ratio of their iterations' slowdowns best (correlation 0.94; the
// median alone 0.71, the mean 0.82, the contention alone 0.91). Throws std::invalid_argument
// for no probes, a probe time not finite or not positive, a negative CPU time, or waiting
// without running.
double probe_speed(const SpeedProbes& probes);

// The two parts of probe_speed: the median probe time and the contention.
struct MachineSpeed {
  double probe_s = 0, contention = 1;
  double slowness() const { return probe_s * contention; }
};
MachineSpeed machine_speed(const SpeedProbes& probes);

// run_probe_s / fitted_probe_s: how much slower (> 1) the machine ran the run than the
// fitting runs. Throws std::invalid_argument unless both are finite and positive.
double speed_scale(double run_probe_s, double fitted_probe_s);

// The model with its compute costs (the prefill and decode coefficients) multiplied by scale;
// KV sizes, bandwidth, shapes, hops, jitter factors and wake-up delays stay. Throws
// std::invalid_argument unless scale is finite and within [0.01, 100].
CostModel at_speed(const CostModel& model, double scale);

// A machine whose cores others take more (ratio > 1) or less often than when the model was
// fitted: others' processes take the core for milliseconds at a time, so what changes is how
// often and how long iterations are preempted, not every iteration alike. The jitter factors'
// excess over 1 (the quantiles' and the sequences', prefill and decode) is stretched by k,
// f -> 1 + k (f - 1) for f > 1, with k such that their mean grows by ratio (the contention's
// definition: time runnable over time running); k is kept within [0, 50]. A model without
// jitter is returned as it is. Throws std::invalid_argument unless ratio is in [0.01, 100].
CostModel with_contention(const CostModel& model, double ratio);

}  // namespace orrery::sim
