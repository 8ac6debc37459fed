#include "serve/probe_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace orrery::serve {

namespace {
constexpr double kNever = std::numeric_limits<double>::infinity();
}

ProbeSchedule::ProbeSchedule(double interval_s) : interval_s_(interval_s) {
  if (!std::isfinite(interval_s) || interval_s < 0)
    throw std::invalid_argument("speed probe interval must be a finite number of seconds, at least 0");
}

double ProbeSchedule::ready() const { return interval_s_ > 0 ? std::max(next_due_, idle_since_ + kSettle_s) : kNever; }

bool ProbeSchedule::idle(double now, double next_work) {
  if (!idle_) idle_since_ = now;
  idle_ = true;
  return now >= ready() && next_work - now >= kClearance_s;
}

double ProbeSchedule::wake(double next_work) const {
  const double at = ready();
  // at infinite: next_work - at is -infinity or NaN, both refused.
  return next_work - at >= kClearance_s ? at : kNever;
}

bool ProbeSchedule::busy(double now) {
  idle_ = false;
  return interval_s_ > 0 && now >= next_due_ && now - last_run_ >= kBusyGap_s;
}

void ProbeSchedule::ran(double now) {
  next_due_ = now + interval_s_;
  last_run_ = now;
}

}  // namespace orrery::serve
