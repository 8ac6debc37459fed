// What the runs browser shows of each run, read from disk off the UI thread:
// run.json (the agent's), annotations.json (the user's), slurm.json for a run submitted to
// Slurm (its job and the state last seen), and the observed status (a run whose agent has
// vanished reads "lost"). Qt-free.
#pragma once

#include "runfiles/project.hpp"
#include "runfiles/run_record.hpp"

#include <optional>
#include <string>
#include <vector>

namespace orrery::panels {

struct RunRow {
  std::string id, name, kind, experiment, reason;
  runfiles::RunStatus status = runfiles::RunStatus::Starting;   // observed
  int ranks = 0;
  double progress_done = 0, progress_total = 0;
  double created = 0, started = 0, ended = 0;   // seconds since the epoch; 0 = not yet
  std::vector<std::string> tags;                // run.json's, then the user's annotations
  std::vector<std::string> user_tags;           // the annotations' alone (what the user may edit)
  std::string notes;
  // A run submitted to Slurm (slurm.json): its target, job ("12", "12_1" in an array), the state
  // last seen as Slurm words it ("PENDING (JobHeldUser)"; empty: not asked yet) and whether the
  // job has ended (holds no resources: nothing left to cancel, nothing more to ask).
  std::string slurm_target, slurm_job, slurm_state;
  bool slurm_ended = false;
  bool operator==(const RunRow&) const = default;
};

// The experiment a run belongs to: the value of a tag "experiment:<x>", else the run
// name's prefix before its last '-' or '_' ("lr-0.1" and "lr-0.3" → "lr"), else the name.
std::string experiment_of(const std::string& name, const std::vector<std::string>& tags);

// Reads the listed runs (all runs when `only` is empty). Runs whose run.json cannot
// be read (being created, damaged, or not a run) are left out.
std::vector<RunRow> scan_runs(const runfiles::Project& project, const std::optional<std::vector<std::string>>& only);

}  // namespace orrery::panels
