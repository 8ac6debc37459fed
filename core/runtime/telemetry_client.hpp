// The sending half of telemetry: a bounded in-process buffer and a background
// thread that ships it to the agent in batches over a ZeroMQ PUSH socket.
//
// Producers (the rank's compute threads) only take a short lock and append;
// they never wait for the network. Full buffer or unreachable agent → records
// are dropped and counted; the count rides along in every later batch.
#pragma once

#include "name_table.hpp"
#include "stamp_clock.hpp"
#include "telemetry/wire.hpp"

#include <algorithm>
#include <bit>
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

  // The hot path: stamped now with the cycle counter (stamp_clock.hpp), converted to wall
  // time by the sender.
  void metric(std::uint32_t name_id, std::int64_t step, double value) {
    append_metric({name_id, kStamped, step, value, read_stamp()});
  }
  // A point with its own wall time (seconds since the Unix epoch), e.g. from a stdout line.
  void metric(std::uint32_t name_id, std::int64_t step, double value, double time) {
    append_metric({name_id, kWallTime, step, value, std::bit_cast<std::uint64_t>(time)});
  }
  void span(telemetry::SpanItem span);
  void event(telemetry::EventItem event);
  void log(telemetry::LogItem line);
  void progress(double done, double total);
  void exit_report(const telemetry::ExitReport& report);

  // Sends what is buffered, waits up to `linger` for it to leave, and stops the thread.
  void stop(std::chrono::milliseconds linger = std::chrono::milliseconds(2000));
  ClientStats stats() const;

 private:
  static constexpr std::uint32_t kStamped = 0, kWallTime = 1;
  struct MetricRecord {
    std::uint32_t name_id;
    std::uint32_t clock;     // kStamped: `when` is a read_stamp(); kWallTime: the bits of a wall time
    std::int64_t step;
    double value;
    std::uint64_t when;
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

  void append_metric(const MetricRecord& record);
  void run();
  bool send_pending(Pending& batch);
  bool other_full() const;
  // The sender wakes early once the buffer is half full (never at 0: that would spin).
  std::size_t wake_threshold() const { return std::max<std::size_t>(1, options_.metric_capacity / 2); }

  ClientOptions options_;
  const NameTable& names_;
  std::vector<std::string> name_cache_;  // sender thread's copy of names_
  StampCalibration calibration_;         // sender thread's stamp → wall time mapping

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
