// A run's timeline in memory: one lane per rank, each lane's spans laid out in rows
// so that the spans of a row never overlap (nested or overlapping spans, such as
// communication overlapped with compute, go to the rows below). Within a row, starts
// and ends both increase, so every "what is at time t" question is a binary search.
//
// Lanes are immutable once built and shared (std::shared_ptr<const Lane>): the thread
// that reads run.h5 builds new lanes for the ranks that gained spans and publishes a
// new Timeline, while the UI thread and the level-of-detail worker keep reading the
// one they hold. No lock is needed anywhere.
#pragma once

#include "runfiles/run_h5_writer.hpp"
#include "timeline/span_kind.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace orrery::timeline {

// Where one step of one rank lies in time: its first span's start, its last span's end.
struct StepExtent {
  std::int64_t step = 0;
  double start = 0;
  double end = 0;
};

struct Lane {
  int rank = 0;
  // Spans, grouped by row (row r is [row_begin[r], row_begin[r+1])), by start within a row.
  std::vector<double> start, end;
  std::vector<std::int64_t> step;
  std::vector<SpanKind> kind;
  std::vector<std::uint32_t> name;        // index into names
  std::vector<std::string> names;         // the distinct span names of this rank
  std::vector<std::uint32_t> row_begin;   // rows() + 1 entries
  std::vector<StepExtent> steps;          // by step

  std::size_t size() const { return start.size(); }
  int rows() const { return static_cast<int>(row_begin.size()) - 1; }
  std::size_t row_first(int row) const { return row_begin[static_cast<std::size_t>(row)]; }
  std::size_t row_end(int row) const { return row_begin[static_cast<std::size_t>(row) + 1]; }
  int row_of(std::size_t span) const;
  const std::string& span_name(std::size_t span) const { return names[name[span]]; }
  // The extent of `step` on this rank; nullptr when the rank has no span of that step.
  const StepExtent* find_step(std::int64_t step) const;
};

// One step over all ranks: when its first span started and its last one ended, and
// which lane ended last (the straggler; its spans of the step are the critical path).
struct StepSummary {
  std::int64_t step = 0;
  double start = 0;
  double end = 0;
  int straggler_lane = -1;   // index into Timeline::lanes
  double lag = 0;            // straggler's end minus the next latest rank's end (0 with one rank)
};

struct Timeline {
  std::vector<std::shared_ptr<const Lane>> lanes;   // by rank, ascending
  std::vector<StepSummary> steps;                   // by step
  double begin = 0, end = 0;                        // earliest start, latest end (0, 0 when empty)
  std::size_t span_count = 0;

  bool empty() const { return span_count == 0; }
  const StepSummary* find_step(std::int64_t step) const;
};

// Builds lanes from the spans as run.h5 holds them (any order; the agent writes a
// rank's spans in the order they ended) and publishes Timelines.
class TimelineBuilder {
 public:
  // Adds spans of a rank (rank >= 0). Spans with end < start or non-finite times are
  // dropped and counted (a file is untrusted input).
  void add(int rank, std::span<const runfiles::SpanRecord> spans);
  // The timeline as of now; cheap when nothing changed since the last call.
  std::shared_ptr<const Timeline> timeline();
  std::size_t rejected() const { return rejected_; }

 private:
  std::map<int, std::shared_ptr<const Lane>> lanes_;
  std::shared_ptr<const Timeline> published_;
  bool changed_ = true;
  std::size_t rejected_ = 0;
};

// Builds one lane from unordered spans (exposed for tests and benchmarks, which make
// lanes without a file).
std::shared_ptr<const Lane> build_lane(int rank, const Lane* previous, std::span<const runfiles::SpanRecord> spans,
                                       std::size_t* rejected = nullptr);
// Step summaries over the lanes (StepSummary above).
std::vector<StepSummary> summarize_steps(const std::vector<std::shared_ptr<const Lane>>& lanes);

}  // namespace orrery::timeline
