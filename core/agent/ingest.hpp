// Ingest: turns decoded telemetry batches into run files and live state.
// Owned by the agent's main loop thread (HDF5 and the log files are written
// from that one thread only).
#pragma once

#include "runfiles/run_h5_writer.hpp"
#include "telemetry/wire.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orrery::agent {

struct RankExit {
  int rank = -1;
  telemetry::ExitReport report;
};

class Ingest {
 public:
  Ingest(runfiles::RunH5Writer& writer, std::filesystem::path logs_dir, int ranks);
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  void accept(const telemetry::Batch& batch);
  void add_system_sample(int rank, std::string_view name, double time, std::int64_t step, double value);
  // Emits reduced points still waiting for slow ranks, flushes logs. Called on each flush tick.
  void flush_logs();
  void finish();   // end of run: emit incomplete reductions

  // Live state for status and run.json.
  std::uint64_t points() const { return points_; }
  std::uint64_t dropped() const;
  nlohmann::json last_metrics() const { return last_metrics_; }
  std::optional<telemetry::Progress> progress() const;
  const std::vector<RankExit>& exits() const { return exits_; }
  std::map<int, int> worker_pids() const { return worker_pids_; }
  std::vector<std::string> log_tail(int rank) const;
  std::uint64_t rejected() const { return rejected_ + writer_.rejected_names(); }
  void count_rejected_frame() { ++rejected_; }

 private:
  struct Reduction {
    std::int64_t step = 0;
    double sum = 0, min = 0, max = 0, time = 0;
    int count = 0;   // points seen; 0 once the row has been written
    double opened = 0;   // agent's steady clock (s) when the step's first point arrived
  };
  // One name's steps still waiting for ranks. Ranks send their steps in order, so almost
  // every point lands at the back of `steps` (ascending) or right after the previous point
  // (`cursor`): no per-point allocation or search. Steps that come out of order (between
  // open steps) wait in `others`; a step older than every open step is written at once.
  struct OpenSteps {
    std::deque<Reduction> steps;
    std::size_t cursor = 0;
    std::map<std::int64_t, Reduction> others;
  };
  void reduce_series(const std::string& name, OpenSteps& open, const telemetry::MetricSeries& m);
  // Writes every step that has waited longer than `cutoff` (steady clock, s) for slower ranks.
  void emit_waiting(double cutoff);
  void emit(const std::string& name, Reduction& r);
  std::FILE* log_file(int rank);

  runfiles::RunH5Writer& writer_;
  std::filesystem::path logs_dir_;
  int ranks_;
  std::uint64_t points_ = 0;
  std::uint64_t rejected_ = 0;
  std::map<std::pair<int, std::string>, std::uint64_t> dropped_by_sender_;
  nlohmann::json last_metrics_ = nlohmann::json::object();
  std::map<int, telemetry::Progress> progress_;
  std::vector<RankExit> exits_;
  std::map<int, int> worker_pids_;
  std::map<int, std::FILE*> logs_;
  std::map<int, std::deque<std::string>> tails_;
  std::map<std::string, OpenSteps> reductions_;
  double clock_ = 0;   // steady clock (s) at the batch being accepted
};

}  // namespace orrery::agent
