// The Orrery worker runtime: what a rank links to report to its run's agent.
//
// Qt-free; depends on the C++ standard library, ZeroMQ and msgpack only.
// Every call is cheap and never blocks compute: records go into a bounded
// in-process buffer that a background thread ships in batches. When the
// buffer is full, or the agent is slow or gone, records are dropped and
// counted (the count travels to the agent with the next batch that gets
// through), and the rank keeps running.
//
// Started by hand, without an agent (ORRERY_TELEMETRY unset), the runtime
// says so once on stderr and every call becomes a no-op.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orrery {

// Reads ORRERY_TELEMETRY (the agent's endpoint), ORRERY_RANK / OMPI_COMM_WORLD_RANK
// and ORRERY_RUN_DIR from the environment the agent sets. Idempotent.
// Returns true when connected to an agent.
bool init();
// Ships what is buffered (waiting at most ~2 s for the agent) and stops the sender.
void shutdown();
bool active();
int rank();
// The run directory the agent gave this rank (checkpoints go below it); empty without an agent.
std::string run_dir();

// Seconds since the Unix epoch, the clock all records use. (Metric points are stamped
// with the CPU's cycle counter, ~10 ns instead of ~40, and converted to this clock by the
// runtime's sender thread; see core/runtime/stamp_clock.hpp for the error bound.)
double now();

// A metric name resolved once; log() is the hot path (~20-30 ns).
class Metric {
 public:
  explicit Metric(std::string_view name);
  void log(std::int64_t step, double value) const;
 private:
  std::uint32_t id_;
};

// Convenience form: looks the name up on every call.
void metric(std::string_view name, std::int64_t step, double value);

// A span of work on this rank, for the rank timeline. kind is one of
// "compute", "comm", "io", "checkpoint", "idle" (other kinds are kept as given).
void span(std::string_view kind, std::string_view name, std::int64_t step, double start, double end);

// Records a span from construction to destruction.
class ScopedSpan {
 public:
  ScopedSpan(std::string_view kind, std::string_view name, std::int64_t step);
  ~ScopedSpan();
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;
 private:
  std::string kind_, name_;
  std::int64_t step_;
  double start_;
};

void event(std::string_view kind, std::string_view text, std::int64_t step = -1);
void log(std::string_view line);
// Progress of the whole job as seen by this rank (the agent shows rank 0's, or the minimum).
void progress(double done, double total);

// True once for each `orrery checkpoint RUN` that reached this rank since the last call
// (several requests between two calls read as one). Cheap (a non-blocking socket read);
// poll it between steps. Requests reach every rank, each at its own moment: a data-parallel
// worker lets one rank poll and shares the answer with the others (e.g. in a collective it
// already makes), so all ranks checkpoint at the same step. False without an agent.
bool checkpoint_requested();

// A prompt sent to the run's agent (control request {"cmd": "prompt", "text": ...}; every
// rank receives it, a worker answers on one), or nullopt. The answer goes back as events:
// kind "prompt.token", text "ID:piece" for each piece of text as it is generated, then
// "prompt.done", text "ID".
// Cheap (a non-blocking socket read); nullopt without an agent.
struct Prompt {
  std::string id;
  std::string text;
};
std::optional<Prompt> take_prompt();

struct TelemetryStats {
  std::uint64_t recorded = 0;   // records accepted into the buffer
  std::uint64_t sent = 0;       // records handed to the transport
  std::uint64_t dropped = 0;    // records lost (buffer full or agent unreachable)
};
TelemetryStats stats();

}  // namespace orrery
