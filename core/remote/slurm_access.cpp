#include "remote/slurm_access.hpp"

namespace orrery::remote {

SlurmAccess reach_slurm(const std::vector<Target>& targets, const Target& target, const SshOptions& options) {
  if (target.type != TargetType::Slurm) throw SlurmError("target " + target.name + " is not a Slurm target");
  SlurmAccess access;
  if (target.slurm.via.empty()) return access;
  auto via = find_target(targets, target.slurm.via);
  if (!via || via->type != TargetType::Ssh)
    throw SlurmError("the ssh target \"" + target.slurm.via + "\" of " + target.name + " is not usable");
  access.ssh = std::make_shared<SshConnection>(via->ssh, options);
  access.ssh->open();
  access.commands = SlurmCommands(access.ssh.get());
  return access;
}

}  // namespace orrery::remote
