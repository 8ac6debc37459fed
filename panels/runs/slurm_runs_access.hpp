// The runs browser's way to Slurm: asks it for the jobs of the project's Slurm runs and cancels
// them, through the same core functions as `orrery run/cancel --target` (remote::reach_slurm,
// remote::settle_slurm_run, SlurmCommands::cancel): on this machine, or over the connection to
// the login node of the target's "via" ssh target, opened once and kept for the next round.
// Blocking (sbatch's tools, ssh): called on pool threads only, never on the UI thread; safe to
// call from two threads at once. A background look never asks about host keys: an unknown key
// is reported as a problem (the cluster panel's Test connection asks). Qt-free.
#pragma once

#include "remote/slurm_access.hpp"
#include "runfiles/project.hpp"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace orrery::panels {

class SlurmRunsAccess {
 public:
  explicit SlurmRunsAccess(runfiles::Project project) : project_(std::move(project)) {}

  // Asks Slurm for the runs' jobs, one squeue call per target naming all of them (query_all):
  // slurm.json gets the state seen, and a job that ended before its agent took the run over gives
  // the run its verdict (settle_slurm_run). Returns one line per run that could not be asked. A
  // job Slurm no longer knows is not asked again (forgotten()). A job whose state someone else
  // wrote into slurm.json within the last kFollowedElsewhereS (the launch form's keepers every
  // second, `orrery run --target` following its run) is not asked either: slurm.json holds it.
  std::vector<std::string> refresh(const std::vector<std::string>& run_ids);
  static constexpr double kFollowedElsewhereS = 3.0;
  // scancel of the run's job, then one more look: "scancel 12 done for run X: job 12 CANCELLED".
  // Throws std::runtime_error saying why not (no job recorded, target gone, scancel refused).
  std::string cancel(const std::string& run_id);
  bool forgotten(const std::string& run_id) const;

 private:
  // Slurm for a target of orrery.json (read again when not reached yet).
  remote::SlurmAccess reach(const std::string& target_name);
  void drop(const std::string& target_name);   // a failed call: the next reach opens the connection again

  const runfiles::Project project_;
  mutable std::mutex mutex_;
  std::map<std::string, remote::SlurmAccess> reached_;
  std::set<std::string> forgotten_;
  std::map<std::string, double> written_;   // slurm.json's "updated" as this browser last wrote it, by run
};

}  // namespace orrery::panels
