#include "stamp_clock.hpp"

namespace orrery::runtime {

namespace {
// Rate of a segment whose ends are `a` and `b`, or `fallback` when it has no length.
// (A wall clock stepped back between the two pairs gives no usable rate either.)
double rate_between(const StampPair& a, const StampPair& b, double fallback) {
  if (b.stamp <= a.stamp || b.wall <= a.wall) return fallback;
  return (b.wall - a.wall) / static_cast<double>(b.stamp - a.stamp);
}
}  // namespace

double wall_seconds() noexcept {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

StampPair sample_pair() noexcept {
  StampPair best;
  std::uint64_t best_width = ~std::uint64_t{0};
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint64_t before = read_stamp();
    const double wall = wall_seconds();
    const std::uint64_t after = read_stamp();
    if (after < before) continue;   // migrated between cores with a skewed counter: try again
    if (after - before < best_width) {
      best_width = after - before;
      best.stamp = before + (after - before) / 2;
      best.wall = wall;
    }
  }
  if (best_width == ~std::uint64_t{0}) best = {read_stamp(), wall_seconds()};
  return best;
}

StampCalibration::StampCalibration() {
  // A first rate from a 1 ms baseline against the steady clock (a wall clock step in
  // that millisecond cannot stall or skew it), so that even the first batch converts with
  // a measured rate; the wall-clock pairs of later segments replace it.
  const auto steady0 = std::chrono::steady_clock::now();
  const std::uint64_t stamp0 = read_stamp();
  auto steady1 = steady0;
  while (steady1 - steady0 < std::chrono::milliseconds(1)) steady1 = std::chrono::steady_clock::now();
  const std::uint64_t stamp1 = read_stamp();
  const double seconds = std::chrono::duration<double>(steady1 - steady0).count();
  long_rate_ = segment_rate_ = stamp1 > stamp0 ? seconds / static_cast<double>(stamp1 - stamp0) : 1e-9;
  first_ = previous_ = current_ = sample_pair();
}

void StampCalibration::advance() {
  const StampPair next = sample_pair();
  if (next.stamp <= current_.stamp) return;   // no tick since the last pair: nothing to learn
  previous_ = current_;
  current_ = next;
  long_rate_ = rate_between(first_, current_, long_rate_);
  segment_rate_ = rate_between(previous_, current_, long_rate_);
}

double StampCalibration::to_wall(std::uint64_t stamp) const {
  if (stamp >= previous_.stamp) return previous_.wall + static_cast<double>(stamp - previous_.stamp) * segment_rate_;
  return previous_.wall - static_cast<double>(previous_.stamp - stamp) * long_rate_;
}

}  // namespace orrery::runtime
