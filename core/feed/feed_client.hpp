// The live-feed client shared by the CLI and the GUI: subscribes to a run's
// agent (status every 250 ms, every telemetry batch as it arrives) and sends
// control requests. A reader that finds no agent falls back to run.json.
#pragma once

#include "runfiles/run_record.hpp"
#include "telemetry/wire.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace orrery::feed {

struct StatusMessage { nlohmann::json status; };      // run.json fields + "live"
struct BatchMessage { telemetry::Batch batch; };
using FeedMessage = std::variant<StatusMessage, BatchMessage>;

class FeedClient {
 public:
  // Connects to the agent recorded in run.json (throws std::runtime_error when it has no agent endpoints).
  explicit FeedClient(const runfiles::RunRecord& record, bool want_batches = false);
  ~FeedClient();
  FeedClient(const FeedClient&) = delete;
  FeedClient& operator=(const FeedClient&) = delete;

  // Waits up to timeout for the next message.
  std::optional<FeedMessage> next(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request/reply on the agent's control endpoint; nullopt when the agent does not answer in time.
std::optional<nlohmann::json> control_request(const runfiles::RunRecord& record, const nlohmann::json& request,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(3));

}  // namespace orrery::feed
