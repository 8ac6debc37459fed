#include "sim/link_sharing.hpp"

#include <algorithm>
#include <limits>

namespace orrery::sim {

SharedLinks::SharedLinks(int instances, double bytes_per_s)
    : bandwidth_(bytes_per_s), leaving_(static_cast<std::size_t>(instances), 0), arriving_(static_cast<std::size_t>(instances), 0) {}

void SharedLinks::advance(double now) {
  const double dt = now - clock_;
  if (dt > 0)
    for (auto& t : active_) t.remaining -= t.rate * dt;
  clock_ = std::max(clock_, now);
}

void SharedLinks::share() {
  for (auto& t : active_) {
    const int users = std::max(leaving_[static_cast<std::size_t>(t.from)], arriving_[static_cast<std::size_t>(t.to)]);
    t.rate = bandwidth_ / users;
  }
}

void SharedLinks::start(double now, int id, int from, int to, double bytes) {
  advance(now);
  active_.push_back({id, from, to, bytes, bytes, 0});
  ++leaving_[static_cast<std::size_t>(from)];
  ++arriving_[static_cast<std::size_t>(to)];
  bytes_started_ += bytes;
  share();
}

double SharedLinks::next_finish() const {
  double first = std::numeric_limits<double>::infinity();
  for (const auto& t : active_) first = std::min(first, clock_ + std::max(t.remaining, 0.0) / t.rate);
  return first;
}

std::vector<int> SharedLinks::finish_due(double now) {
  advance(now);
  std::vector<int> done;
  std::size_t kept = 0;
  for (std::size_t k = 0; k < active_.size(); ++k) {
    auto& t = active_[k];
    // Done within rounding: what is left would take under a nanosecond at its rate.
    if (t.remaining <= t.rate * 1e-9) {
      done.push_back(t.id);
      bytes_delivered_ += t.bytes;
      --leaving_[static_cast<std::size_t>(t.from)];
      --arriving_[static_cast<std::size_t>(t.to)];
    } else {
      active_[kept++] = t;
    }
  }
  active_.resize(kept);
  if (!done.empty()) share();
  return done;
}

}  // namespace orrery::sim
