// Reaching Slurm for a Slurm target: its commands on this machine, or on the login node of the
// ssh target it names as "via" (the connection opened here: an unknown host key fails with
// UnknownHostKeyError unless options accept new keys). One place for `orrery run/cancel
// --target` and the workbench's runs browser, so both ask the same Slurm the same way.
#pragma once

#include "remote/slurm_commands.hpp"
#include "remote/ssh_connection.hpp"
#include "remote/target.hpp"

#include <memory>
#include <vector>

namespace orrery::remote {

struct SlurmAccess {
  std::shared_ptr<SshConnection> ssh;   // the open connection to the login node; null: Slurm on this machine
  SlurmCommands commands;               // through ssh when set (the pointer stays valid while ssh lives)
};

// Throws SlurmError when target is not a Slurm target or its via is not an ssh target of targets,
// SshError (or UnknownHostKeyError) when the login node cannot be reached.
SlurmAccess reach_slurm(const std::vector<Target>& targets, const Target& target, const SshOptions& options);

}  // namespace orrery::remote
