// orrery targets [test NAME]: the project's run targets, and a connection check of one.
#include "commands.hpp"
#include "remote_run.hpp"
#include "slurm_run.hpp"

#include "remote/deploy.hpp"
#include "remote/shell_quote.hpp"
#include "remote/ssh_connection.hpp"

#include <chrono>
#include <iostream>

namespace orrery::cli {

namespace {

std::string where(const remote::Target& t) {
  switch (t.type) {
    case remote::TargetType::Local: return "this machine";
    case remote::TargetType::Ssh:
      return (t.ssh.user.empty() ? "" : t.ssh.user + "@") + t.ssh.host + (t.ssh.port ? ":" + std::to_string(t.ssh.port) : "") +
             "  " + t.ssh.work_dir;
    case remote::TargetType::Slurm:
      return (t.slurm.via.empty() ? std::string("local") : "via " + t.slurm.via) +
             (t.slurm.partition.empty() ? "" : "  partition " + t.slurm.partition);
  }
  return {};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Reachability, authentication, the deployed runtime and the remote MPI, each on a line.
int test_ssh(const remote::Target& t, bool accept_new_host_key) {
  using Clock = std::chrono::steady_clock;
  remote::SshConnection ssh(t.ssh, remote::SshOptions::accepting_new_keys(accept_new_host_key));
  const bool warm = ssh.master_running();
  auto t0 = Clock::now();
  try {
    ssh.open();
  } catch (const remote::SshError& e) {
    std::cout << t.name << ": connection FAILED\n  " << e.what() << "\n";
    return kFailed;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  std::cout << t.name << ": connected to " << ssh.describe() << " (" << (warm ? "warm connection" : "new connection") << ", "
            << ms << " ms)\n";
  auto system = ssh.run({"uname", "-srm"});
  std::cout << "  system: " << (system.success() ? first_line(system.out) : "unknown") << "\n";
  auto mpi = ssh.run_script(remote::shell_command({t.ssh.mpirun, "--version"}) + " 2>&1");
  std::cout << "  mpi: " << (mpi.success() ? first_line(mpi.out) : t.ssh.mpirun + " not usable: " + first_line(mpi.out)) << "\n";
  // The runtime: the deployed agent is current when its hash matches ours.
  auto paths = launch::InstallPaths::from_executable();
  auto dir = ssh.run_script("cd " + remote::shell_quote(t.ssh.work_dir) + " 2>/dev/null && pwd -P");
  std::string runtime = "not deployed (sent at the first run)";
  if (dir.success() && !dir.out.empty()) {
    auto agent = first_line(dir.out) + "/bin/orrery-agent";
    auto remote_sum = ssh.run({"sha256sum", "--", agent});
    if (remote_sum.success()) {
      auto local = remote::local_sha256({paths.bin_dir / "orrery-agent"});
      runtime = remote_sum.out.rfind(local[0], 0) == 0 ? "orrery-agent deployed and current"
                                                       : "orrery-agent deployed, older than this one (updated at the next run)";
    }
  }
  std::cout << "  runtime: " << runtime << "\n";
  return mpi.success() ? kSucceeded : kFailed;
}

}  // namespace

void add_targets_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("targets", "List the project's run targets (orrery.json), or test one");
  auto* test = cmd->add_subcommand("test", "Connect to a target: reachability, authentication, remote runtime and MPI");
  struct Args {
    std::string name;
    bool accept_new_host_key = false;
  };
  auto args = std::make_shared<Args>();
  test->add_option("NAME", args->name, "Target name")->required();
  test->add_flag("--accept-new-host-key", args->accept_new_host_key, "Trust a host key seen for the first time");
  cmd->callback([&g, &result, cmd, test, args] {
    auto project = open_project(g);
    auto targets = project_targets(project);
    if (!test->parsed()) {
      for (const auto& t : targets) std::cout << t.name << "\t" << remote::to_string(t.type) << "\t" << where(t) << "\n";
      result = kSucceeded;
      return;
    }
    auto t = remote::find_target(targets, args->name);
    if (!t) {
      std::cerr << "orrery: unknown target \"" << args->name << "\"\n";
      result = kUsage;
      return;
    }
    if (t->type == remote::TargetType::Local) {
      std::cout << t->name << ": this machine\n";
      result = kSucceeded;
    } else if (t->type == remote::TargetType::Ssh) {
      result = test_ssh(*t, args->accept_new_host_key);
    } else {
      result = test_slurm_target(project, *t, args->accept_new_host_key);
    }
    (void)cmd;
  });
}

}  // namespace orrery::cli
