// The CLI's side of Slurm targets: `orrery run --target SLURM [--sweep ...] [--show-script]`
// submits and follows pending → running → finished; `orrery cancel` of a queued or running
// Slurm run goes through scancel.
#pragma once

#include "cli_common.hpp"
#include "remote_run.hpp"

#include "remote/target.hpp"
#include "spec/spec.hpp"

#include <vector>

namespace orrery::cli {

// Submits specs (one run, or one run each as a job array) and, unless detached, follows them.
int run_on_slurm(const runfiles::Project& project, const spec::KindSchema& kind, const std::vector<spec::Spec>& specs,
                 const launch::InstallPaths& paths, const remote::Target& target, const RemoteRunOptions& options);

// `orrery attach` of a Slurm run (slurm.json names its job): Slurm's state (from sacct or the
// jobcomp file once slurmctld has purged the job), the verdict of a run whose agent never
// started, else the run followed as after submission. nullopt: not a Slurm run.
std::optional<int> attach_slurm(const runfiles::Project& project, const std::string& run_id, const RemoteRunOptions& options);

// scancel of a run's job (pending or running), then waits for the run's verdict.
int cancel_slurm_run(const runfiles::Project& project, const std::string& run_id, bool wait);

}  // namespace orrery::cli
