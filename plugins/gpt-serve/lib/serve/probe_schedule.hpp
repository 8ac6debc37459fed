// When a serving rank runs its speed probe (speed_probe.hpp): every interval of wall time, but
// only where no request waits on it, and only once the rank has settled into an idle stretch.
//
// Where no request waits: a probe run where a request waits delays it. gpt-serve once probed
// right after a rank woke for an arrival, which added ~0.1 ms to two thirds of the TTFTs
// (median 2.3-2.9 ms), and every 20 ms between decode steps, adding to the TPOT of the batch's
// requests; serve-sim, which models no probes, came out 3-5 % low on TTFT p50 given the runs'
// true speed (18 runs, 2026-11-26). So an idle rank probes only when its next work is at least
// kClearance_s away, waking for the probe if need be.
//
// Settled: a probe run just after an iteration finds its weights still cached, runs ~25 %
// faster, and tracks the machine's slowdown worse (18 runs: correlation 0.71, against 0.88-0.90
// for probes 20-60 ms into an idle stretch). So an idle rank probes only kSettle_s after it
// became idle.
//
// A rank that never idles (a saturated server) is still measured: between iterations, at most
// once every kBusyGap_s. Times are seconds on the rank's serving clock, from 0.
#pragma once

namespace orrery::serve {

class ProbeSchedule {
 public:
  static constexpr double kClearance_s = 2e-3;  // several times a probe (~0.3 ms)
  static constexpr double kSettle_s = 10e-3;
  static constexpr double kBusyGap_s = 0.25;

  // interval_s: wall time between probes (0: never). Throws std::invalid_argument for a
  // negative or non-finite interval.
  explicit ProbeSchedule(double interval_s);

  // The rank is idle at now (since now, if it was busy) with nothing to do before next_work
  // (infinity: not known, as for a decode rank waiting for its next sequence). Whether to
  // probe now.
  bool idle(double now, double next_work);
  // When an idle rank should wake for its next probe; infinity where none comes before
  // next_work (or the probe is off).
  double wake(double next_work) const;
  // The rank has work waiting and is about to run an iteration at now. Whether to probe
  // first (none for kBusyGap_s).
  bool busy(double now);
  // The probe ran at now: the next is due interval_s later.
  void ran(double now);

 private:
  // When an idle rank may be probed next (infinity: never).
  double ready() const;

  double interval_s_ = 0, next_due_ = 0, last_run_ = 0, idle_since_ = 0;
  bool idle_ = false;
};

}  // namespace orrery::serve
