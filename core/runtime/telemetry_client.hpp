// The sending half of telemetry: a bounded in-process buffer and a background
// thread that ships it to the agent in batches over a ZeroMQ PUSH socket.
//
// Producers (the rank's compute threads) only take a short lock and append;
// they never wait for the network. Full buffer or unreachable agent → records
// are dropped and counted; the count rides along in every later batch.
#pragma once

#include "name_table.hpp"
#include "telemetry/wire.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace orrery::runtime {

struct ClientOptions {
  std::string endpoint;                // e.g. ipc:///path/agent/telemetry.sock
  int rank = 0;
  int world_size = 0;
  std::string source = "worker";
  int hello_pid = 0;                        // the pid this sender speaks for (0: its own)
  std::size_t metric_capacity = 1u << 19;   // points buffered between two sends
  std::size_t other_capacity = 1u << 14;    // spans, events, log lines
  std::chrono::milliseconds interval{20};
};

struct ClientStats {
  std::uint64_t recorded = 0;
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
};

class TelemetryClient {
 public:
  TelemetryClient(ClientOptions options, const NameTable& names);
  ~TelemetryClient();
  TelemetryClient(const TelemetryClient&) = delete;
  TelemetryClient& operator=(const TelemetryClient&) = delete;

  void metric(std::uint32_t name_id, std::int64_t step, double value, double time);
  void span(telemetry::SpanItem span);
  void event(telemetry::EventItem event);
  void log(telemetry::LogItem line);
  void progress(double done, double total);
  void exit_report(const telemetry::ExitReport& report);

  // Sends what is buffered, waits up to `linger` for it to leave, and stops the thread.
  void stop(std::chrono::milliseconds linger = std::chrono::milliseconds(2000));
  ClientStats stats() const;

 private:
  struct MetricRecord {
    std::uint32_t name_id;
    std::int64_t step;
    double time;
    double value;
  };
  struct Pending {
    std::vector<MetricRecord> metrics;
    std::vector<telemetry::SpanItem> spans;
    std::vector<telemetry::EventItem> events;
    std::vector<telemetry::LogItem> logs;
    std::optional<telemetry::Progress> progress;
    std::optional<telemetry::ExitReport> exit;
    bool empty() const { return metrics.empty() && spans.empty() && events.empty() && logs.empty() && !progress && !exit; }
  };

  void run();
  bool send_pending(Pending& batch);
  bool other_full() const;
  // The sender wakes early once the buffer is half full (never at 0: that would spin).
  std::size_t wake_threshold() const { return std::max<std::size_t>(1, options_.metric_capacity / 2); }

  ClientOptions options_;
  const NameTable& names_;
  std::vector<std::string> name_cache_;  // sender thread's copy of names_

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Pending active_;
  bool stopping_ = false;
  std::uint64_t recorded_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t seq_ = 0;

  struct Transport;
  std::unique_ptr<Transport> transport_;
  std::thread thread_;
};

}  // namespace orrery::runtime
