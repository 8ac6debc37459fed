// The telemetry wire format: one ZeroMQ message = one MessagePack-encoded Batch.
// Shared by the runtime's sender (ranks) and the agent's receiver; documented in WIRE.md.
//
// Frames come from processes we do not control, so decode() treats every byte as
// untrusted: it checks types and sizes and returns nullopt (with a reason) instead
// of throwing or allocating without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orrery::telemetry {

inline constexpr std::uint32_t kWireVersion = 1;
inline constexpr std::size_t kMaxFrameBytes = 64u << 20;
inline constexpr std::size_t kMaxStringBytes = 64u << 10;

struct MetricSeries {          // points of one metric name, columns of equal length
  std::string name;
  std::vector<std::int64_t> steps;
  std::vector<double> times;   // seconds since the Unix epoch
  std::vector<double> values;
};

struct SpanItem {
  std::string kind;            // compute, comm, io, checkpoint, idle, ...
  std::string name;
  std::int64_t step = -1;
  double start = 0, end = 0;
};

struct EventItem {
  double time = 0;
  std::string kind;
  std::string text;
  std::int64_t step = -1;
};

struct LogItem {
  double time = 0;
  int stream = 1;              // 1 stdout, 2 stderr, 0 runtime's own log()
  std::string text;
};

struct Hello {                 // first batch of a sender
  int pid = 0;
  std::string host;
  int world_size = 0;
};

struct Progress { double done = 0, total = 0; };

struct ExitReport {            // sent by the per-rank supervisor when its worker ends
  int pid = 0;
  int exit_code = 0;           // valid when signal == 0
  int signal = 0;
  bool requested = false;      // ended because termination was asked of it (cancel/abort), not on its own
  double time = 0;
};

struct Batch {
  std::int32_t rank = -1;
  std::string source;          // "worker" or "supervisor"
  std::uint64_t seq = 0;       // per-sender batch counter
  std::uint64_t dropped_total = 0;  // records this sender has dropped so far
  std::optional<Hello> hello;
  std::vector<MetricSeries> metrics;
  std::vector<SpanItem> spans;
  std::vector<EventItem> events;
  std::vector<LogItem> logs;
  std::optional<Progress> progress;
  std::optional<ExitReport> exit;

  std::size_t record_count() const;
};

std::string encode(const Batch& batch);
std::optional<Batch> decode(const void* data, std::size_t size, std::string* why = nullptr);

}  // namespace orrery::telemetry
