// Waiting on a live run's feed for its worker's answer to a request (`orrery checkpoint
// --wait`, `orrery prompt`): subscribed, and a first message seen, before the request is
// sent, so the answer cannot go by unseen.
#pragma once

#include "feed/feed_client.hpp"
#include "runfiles/run_record.hpp"
#include "telemetry/wire.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace orrery::cli {

class EventWaiter {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Outcome { kAnswered, kRunEnded, kTimedOut };

  // Subscribes to the run's feed and waits (at most until deadline) for its first message.
  EventWaiter(const runfiles::RunRecord& record, Clock::time_point deadline);

  // Reads the feed until on_event returns true for one of the worker's events (kAnswered),
  // the run reaches a final status (kRunEnded, that status in ended_status), or the deadline.
  Outcome wait(const std::function<bool(const telemetry::EventItem&)>& on_event, std::string& ended_status);

 private:
  feed::FeedClient feed_;
  Clock::time_point deadline_;
};

}  // namespace orrery::cli
