// `orrery run --target NAME` for a target that is not this machine: connects,
// launches through core/remote, keeps the local copy of the run in step while it
// follows it, and waits for the run's folder to be copied back.
#pragma once

#include "cli_common.hpp"

#include "remote/target.hpp"
#include "spec/spec.hpp"

#include <optional>

namespace orrery::cli {

struct RemoteRunOptions {
  bool detach = false, quiet = false, accept_new_host_key = false;
  bool show_script = false;   // Slurm: print the sbatch script before submitting it
};

// The targets of the project's orrery.json; each problem is printed as a warning and its target left out.
std::vector<remote::Target> project_targets(const runfiles::Project& project);

// nullopt: the target is a local one (the caller launches locally). Otherwise the exit code.
std::optional<int> run_on_target(const runfiles::Project& project, const spec::KindSchema& kind, const spec::Spec& spec,
                                 const launch::InstallPaths& paths, const std::string& target_name,
                                 const RemoteRunOptions& options);

// `orrery attach` of a run that lives on an ssh target (its runs/<id>/remote.json, not yet
// copied back): reconnects, forwards its sockets again, follows it and copies its folder back
// when it has ended. nullopt: nothing remote to reach (a local run, or one already copied back).
std::optional<int> attach_remote(const runfiles::Project& project, const std::string& run_id, bool quiet,
                                 bool accept_new_host_key);

}  // namespace orrery::cli
