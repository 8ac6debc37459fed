#include "remote_run.hpp"

#include "follow.hpp"
#include "slurm_run.hpp"

#include "remote/ssh_launcher.hpp"
#include "remote/target.hpp"

#include <iostream>

namespace orrery::cli {

std::vector<remote::Target> project_targets(const runfiles::Project& project) {
  std::vector<spec::Issue> issues;
  auto targets = remote::parse_targets(project.settings, &issues);
  for (const auto& i : issues) std::cerr << "warning: orrery.json: " << spec::to_string(i) << " (target skipped)\n";
  return targets;
}

std::optional<int> run_on_target(const runfiles::Project& project, const spec::KindSchema& kind, const spec::Spec& spec,
                                 const launch::InstallPaths& paths, const std::string& target_name,
                                 const RemoteRunOptions& options) {
  auto targets = project_targets(project);
  auto target = remote::find_target(targets, target_name);
  if (!target) {
    std::string known;
    for (const auto& t : targets) known += (known.empty() ? "" : ", ") + t.name;
    std::cerr << "orrery: unknown target \"" << target_name << "\" (targets of " << (project.root / "orrery.json").string()
              << ": " << known << ")\n";
    return kUsage;
  }
  if (target->type == remote::TargetType::Local) return std::nullopt;
  if (target->type == remote::TargetType::Slurm) return run_on_slurm(project, kind, {spec}, paths, *target, options);
  if (options.detach) {
    std::cerr << "orrery: --detach is not available for ssh targets yet: the local copy of a remote run is kept in "
                 "step (and copied back at the end) while orrery follows it\n";
    return kUsage;
  }
  remote::SshConnection ssh(target->ssh, remote::SshOptions::accepting_new_keys(options.accept_new_host_key));
  ssh.open();
  auto run = remote::launch_ssh(project, kind, spec, paths, *target, ssh);
  std::cout << "run " << run.run_id << " started: " << spec.kind << " on " << spec.ranks << " ranks on " << target->name
            << " (" << ssh.describe() << ", agent pid " << run.record.agent.pid << ")\n"
            << "  files: " << run.local_run_dir.string() << "\n"
            << "  remote: " << run.remote_run_dir << "\n"
            << "  deployed: " << run.deployed.sent << " of " << run.deployed.checked << " files sent ("
            << format_count(static_cast<double>(run.deployed.bytes_sent)) << "B)\n"
            << std::flush;
  remote::RemoteRunMirror mirror(ssh, run, [](const std::string& line) { std::cerr << "\n" << line << "\n" << std::flush; });
  mirror.start();
  int code = follow_run(project, run.run_id, {options.quiet, true});
  if (code != kDetached && !mirror.wait_copied(std::chrono::minutes(10))) {
    std::cerr << "orrery: the run's folder could not be copied back from " << ssh.describe() << ":" << run.remote_run_dir
              << "\n";
    if (code == kSucceeded) code = kFailed;
  }
  mirror.stop();
  return code;
}

}  // namespace orrery::cli
