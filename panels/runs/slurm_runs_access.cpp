#include "runs/slurm_runs_access.hpp"

#include "orrery/runtime.hpp"
#include "remote/slurm_launcher.hpp"

#include <filesystem>
#include <stdexcept>

namespace orrery::panels {

remote::SlurmAccess SlurmRunsAccess::reach(const std::string& target_name) {
  std::lock_guard lock(mutex_);
  if (auto it = reached_.find(target_name); it != reached_.end()) return it->second;
  // orrery.json again: a target added or fixed since the project was opened is found.
  const auto settings = runfiles::open_project(project_.root, false).settings;
  const auto targets = remote::parse_targets(settings, nullptr);
  const auto target = remote::find_target(targets, target_name);
  if (!target || target->type != remote::TargetType::Slurm)
    throw std::runtime_error("the Slurm target \"" + target_name + "\" is not in orrery.json");
  // Strict host key checking: a key not in known_hosts fails here, it is never accepted silently.
  return reached_[target_name] = remote::reach_slurm(targets, *target, remote::SshOptions{});
}

void SlurmRunsAccess::drop(const std::string& target_name) {
  std::lock_guard lock(mutex_);
  reached_.erase(target_name);
}

bool SlurmRunsAccess::forgotten(const std::string& run_id) const {
  std::lock_guard lock(mutex_);
  return forgotten_.count(run_id) > 0;
}

std::vector<std::string> SlurmRunsAccess::refresh(const std::vector<std::string>& run_ids) {
  struct Asked {
    std::string run_id, job;
    std::filesystem::path dir;
  };
  // One squeue call per target for all its runs' jobs (a login node: one ssh round trip), however
  // many runs (an array's tasks) the round holds.
  std::map<std::string, std::vector<Asked>> by_target;
  const double now = orrery::now();
  for (const auto& id : run_ids) {
    const auto dir = runfiles::run_path(project_, id);
    const auto job = remote::read_slurm_record(dir);
    if (!job) continue;
    if (!job->last.state.empty() && now - job->updated < kFollowedElsewhereS) {
      std::lock_guard lock(mutex_);
      const auto mine = written_.find(id);
      if (mine == written_.end() || mine->second != job->updated) continue;   // another follower keeps it current
    }
    by_target[job->target].push_back({id, job->job, dir});
  }
  std::vector<std::string> problems;
  for (const auto& [target, runs] : by_target) {
    const auto problem = [&problems](const Asked& run, const std::string& why) {
      problems.push_back("run " + run.run_id + ": cannot ask Slurm about job " + run.job + ": " + why);
    };
    remote::SlurmAccess access;
    std::map<std::string, std::optional<remote::SlurmJobState>> states;
    try {
      access = reach(target);
      std::vector<std::string> jobs;
      for (const auto& run : runs) jobs.push_back(run.job);
      states = access.commands.query_all(jobs);
    } catch (const std::exception& e) {
      drop(target);
      for (const auto& run : runs) problem(run, e.what());
      continue;
    }
    for (const auto& run : runs) {
      try {
        const auto state = remote::settle_slurm_run(run.dir, access.commands, states.at(run.job));
        const auto written = remote::read_slurm_record(run.dir);
        std::lock_guard lock(mutex_);
        if (!state) forgotten_.insert(run.run_id);
        if (written) written_[run.run_id] = written->updated;
      } catch (const std::exception& e) {
        drop(target);
        problem(run, e.what());
      }
    }
  }
  return problems;
}

std::string SlurmRunsAccess::cancel(const std::string& run_id) {
  const auto dir = runfiles::run_path(project_, run_id);
  const auto job = remote::read_slurm_record(dir);
  if (!job) throw std::runtime_error("run " + run_id + " has no Slurm job recorded (slurm.json)");
  try {
    const auto access = reach(job->target);
    remote::cancel_slurm_job(dir, access.commands);
    const auto state = remote::refresh_slurm_run(dir, access.commands);
    return "scancel " + job->job + " done for run " + run_id + ": job " + job->job + " " +
           (state ? state->describe() : access.commands.unknown_job_note());
  } catch (const std::exception& e) {
    drop(job->target);
    throw std::runtime_error("run " + run_id + ": " + e.what());
  }
}

}  // namespace orrery::panels
