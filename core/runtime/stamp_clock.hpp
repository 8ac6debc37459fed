// Cheap timestamps for the metric hot path, turned into wall time off the hot path.
//
// Reading the wall clock (clock_gettime through the vDSO) costs ~40 ns in a VM, most of
// a metric call. The call instead reads the CPU's time-stamp counter (rdtsc, ~10 ns; on
// other CPUs a steady_clock tick) and the sender thread converts the stamps of a batch
// into seconds since the Unix epoch when it takes the batch.
//
// Conversion: the sender samples a (stamp, wall) pair right after each buffer swap (every
// ~20 ms or sooner). A stamp of the batch just taken lies between the previous pair and
// this one (it was read before the swap, and after the previous swap unless its thread
// was preempted between the read and the append), so it is placed by linear interpolation
// between the two pairs; a stamp older than the previous pair is extrapolated back from it
// with the long-run rate (first pair to now).
//
// Error bound, for an interpolated stamp: the larger of the two pairs' own uncertainty
// (half the interval between the stamp read before and the one after the wall clock read,
// the narrowest of three tries: ~±20 ns here) plus how far the wall clock's rate strays
// from linear within one segment. An NTP slew is at most 500 ppm, i.e. ≤ 10 µs over a
// 20 ms segment (ppm-level drift, well under 1 µs, is the usual case). A wall-clock step
// (settimeofday) inside a segment is spread over that segment. Extrapolated stamps add
// the slew over the extrapolation distance. Requires an invariant TSC (constant_tsc,
// nonstop_tsc: every x86-64 CPU of the last decade) synchronised across cores, as Linux
// itself assumes when it uses the TSC as its clocksource.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace orrery::runtime {

// The hot path's timestamp: TSC ticks, or steady_clock nanoseconds on other CPUs.
inline std::uint64_t read_stamp() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Seconds since the Unix epoch from the wall clock.
double wall_seconds() noexcept;

struct StampPair {
  std::uint64_t stamp = 0;
  double wall = 0;          // seconds since the Unix epoch at `stamp`
};

// Reads the wall clock between two stamps, three times, and keeps the narrowest bracket
// (a preempted read gives a wide one).
StampPair sample_pair() noexcept;

// Maps stamps to wall seconds; owned and used by the sender thread only.
class StampCalibration {
 public:
  StampCalibration();
  // Call after taking a batch: every stamp in it was read before this call.
  void advance();
  double to_wall(std::uint64_t stamp) const;
  // Seconds per stamp tick over the whole run so far.
  double seconds_per_tick() const { return long_rate_; }

 private:
  StampPair first_, previous_, current_;
  double segment_rate_ = 0;   // seconds per tick between previous_ and current_
  double long_rate_ = 0;      // seconds per tick between first_ and current_
};

}  // namespace orrery::runtime
