// run.json: a run's spec and status, small and human-readable. The agent
// updates it atomically (temporary file + rename) so a reader never sees half a file.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace orrery::runfiles {

enum class RunStatus { Starting, Running, Succeeded, Failed, Cancelled, Lost };

std::string to_string(RunStatus status);
std::optional<RunStatus> parse_status(std::string_view text);
bool is_final(RunStatus status);

struct RankFailure {
  int rank = -1;
  int exit_code = 0;
  int signal = 0;
  std::vector<std::string> log_tail;
};

struct AgentInfo {
  int pid = 0;
  std::string host;
  std::string control;    // ZeroMQ endpoints, ipc:// in a directory only the user can enter
  std::string feed;
  std::string telemetry;
};

struct RunRecord {
  std::string id, name, kind, target = "local";
  int ranks = 0;
  std::vector<std::string> tags;
  nlohmann::json spec = nlohmann::json::object();     // validated spec, defaults filled
  std::vector<std::string> argv;                       // what each rank runs
  RunStatus status = RunStatus::Starting;
  double created = 0, started = 0, ended = 0;          // seconds since epoch; 0 = not yet
  std::string reason;                                  // why it failed / was cancelled
  std::optional<RankFailure> failure;
  AgentInfo agent;
  double progress_done = 0, progress_total = 0;
  nlohmann::json last_metrics = nlohmann::json::object();  // name -> {step, value}
  std::uint64_t dropped = 0;                           // telemetry records lost
  std::uint64_t rejected = 0;                          // frames or names refused as malformed
  // The batch scheduler a run goes through ("slurm"; its job in slurm.json); empty for runs
  // started directly. A run waiting in a queue has no agent yet and is not lost.
  std::string scheduler;

  nlohmann::json to_json() const;
  static RunRecord from_json(const nlohmann::json& j);   // throws RunRecordError
};

class RunRecordError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

void write_run_record(const std::filesystem::path& run_dir, const RunRecord& record);
RunRecord read_run_record(const std::filesystem::path& run_dir);

// Writes text to path via a temporary file in the same folder, fsync and rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace orrery::runfiles
