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

namespace {

// Follows a run on an ssh target until it ends (or the user detaches), keeping its local
// folder in step, then waits for its folder to be copied back.
int follow_remote(const runfiles::Project& project, remote::SshConnection& ssh, remote::RemoteRun run, bool quiet) {
  remote::RemoteRunMirror mirror(ssh, run, [](const std::string& line) { std::cerr << "\n" << line << "\n" << std::flush; });
  mirror.start();
  int code = follow_run(project, run.run_id, {quiet, true});
  if (code != kDetached && !mirror.wait_copied(std::chrono::minutes(10))) {
    std::cerr << "orrery: the run's folder could not be copied back from " << ssh.describe() << ":" << run.remote_run_dir
              << "\n";
    if (code == kSucceeded) code = kFailed;
  }
  mirror.stop();
  return code;
}

}  // namespace

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
  if (options.detach) {
    // The local folder gets run.json and remote.json (where the run lives) once; the remote
    // agent goes on without us, and `orrery attach` reconnects, follows and copies it back.
    remote::RemoteRunMirror mirror(ssh, run, [](const std::string&) {});
    mirror.start();
    mirror.stop();
    std::cout << "detached; run " << run.run_id << " goes on on " << target->name
              << ". Follow it and copy it back with: orrery attach " << run.run_id << "\n";
    return kSucceeded;
  }
  return follow_remote(project, ssh, std::move(run), options.quiet);
}


std::optional<int> attach_remote(const runfiles::Project& project, const std::string& run_id, bool quiet,
                                 bool accept_new_host_key) {
  const auto local_run_dir = runfiles::run_path(project, run_id);
  const auto where = remote::read_remote_json(local_run_dir);
  if (!where) return std::nullopt;   // a local run
  if (where->value("copied_back", false)) return std::nullopt;   // complete here: follow locally
  const auto target_name = where->value("target", std::string());
  const auto remote_run_dir = where->value("remote_run_dir", std::string());
  auto targets = project_targets(project);
  const auto target = remote::find_target(targets, target_name);
  if (!target || target->type != remote::TargetType::Ssh || remote_run_dir.empty()) {
    std::cerr << "orrery: run " << run_id << " lives on target \"" << target_name
              << "\", which orrery.json no longer names as an ssh target; cannot reach it\n";
    return kFailed;
  }
  remote::SshConnection ssh(target->ssh, remote::SshOptions::accepting_new_keys(accept_new_host_key));
  ssh.open();
  const auto record = remote::read_remote_record(ssh, remote_run_dir, std::chrono::seconds(20));
  if (!record) {
    std::cerr << "orrery: cannot read " << remote_run_dir << "/run.json on " << ssh.describe() << "\n";
    return kFailed;
  }
  std::cout << "following run " << run_id << " on " << target->name << " (" << ssh.describe() << ")\n" << std::flush;
  return follow_remote(project, ssh, {run_id, target->name, local_run_dir, remote_run_dir, *record, {}}, quiet);
}

}  // namespace orrery::cli
