#include "event_waiter.hpp"

#include <variant>

namespace orrery::cli {

EventWaiter::EventWaiter(const runfiles::RunRecord& record, Clock::time_point deadline)
    : feed_(record, true), deadline_(deadline) {
  while (!feed_.next(std::chrono::milliseconds(500)) && Clock::now() < deadline_) {
  }
}

EventWaiter::Outcome EventWaiter::wait(const std::function<bool(const telemetry::EventItem&)>& on_event,
                                       std::string& ended_status) {
  while (Clock::now() < deadline_) {
    auto message = feed_.next(std::chrono::milliseconds(200));
    if (!message) continue;
    if (const auto* b = std::get_if<feed::BatchMessage>(&*message)) {
      for (const auto& e : b->batch.events) {
        if (on_event(e)) return Outcome::kAnswered;
      }
    } else if (const auto* st = std::get_if<feed::StatusMessage>(&*message)) {
      const auto status = st->status.value("status", std::string());
      if (const auto parsed = runfiles::parse_status(status); parsed && runfiles::is_final(*parsed)) {
        ended_status = status;
        return Outcome::kRunEnded;
      }
    }
  }
  return Outcome::kTimedOut;
}

}  // namespace orrery::cli
