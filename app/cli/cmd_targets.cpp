// orrery targets [test NAME]: the project's run targets, and a connection check of one.
#include "commands.hpp"
#include "remote_run.hpp"
#include "slurm_run.hpp"

#include "remote/target_check.hpp"

#include <iostream>

namespace orrery::cli {

namespace {

std::string joined(const std::vector<std::string>& fields) {
  std::string line;
  for (const auto& f : fields) line += (line.empty() ? "" : " ") + f;
  return line;
}

void print_rows(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                const std::string& error) {
  if (!error.empty()) {
    std::cout << "    " << error << "\n";
    return;
  }
  std::cout << "    " << joined(header) << "\n";
  for (const auto& row : rows) std::cout << "    " << joined(row) << "\n";
}

// What remote::check_target found, a line each: the connection, then the host's system, MPI and
// runtime (ssh) or Slurm's version, partitions and the user's queue (slurm).
int test_target(const remote::Target& t, const std::vector<remote::Target>& all, bool accept_new_host_key) {
  remote::TargetCheckOptions options;
  options.accept_new_host_key = accept_new_host_key;
  options.local_agent = launch::InstallPaths::from_executable().bin_dir / "orrery-agent";
  options.scan_unknown_host_key = true;   // an unknown key's fingerprints, to compare with the administrator's
  auto check = remote::check_target(t, all, options);
  if (!check.connected) {
    std::cout << t.name << ": connection FAILED\n  " << check.connection << "\n";
    if (!check.offered_keys.empty()) std::cout << "  the host offers:\n";
    for (const auto& k : check.offered_keys) std::cout << "    " << k.type << " " << k.fingerprint << "\n";
    return kFailed;
  }
  if (t.type == remote::TargetType::Ssh) {
    std::cout << t.name << ": " << check.connection << "\n  system: " << check.system << "\n  mpi: " << check.mpi
              << "\n  runtime: " << check.runtime << "\n";
  } else if (t.type == remote::TargetType::Slurm) {
    std::cout << t.name << ": " << check.slurm << "\n";
    if (check.partitions.empty() && check.partitions_error.empty() && check.queue.empty() && check.queue_error.empty())
      return kFailed;   // Slurm's version could not be read: the line above says why
    std::cout << "  partitions (sinfo):\n";
    print_rows(remote::kPartitionColumns, check.partitions, check.partitions_error);
    std::cout << "  queue (squeue --me):\n";
    print_rows(remote::kQueueColumns, check.queue, check.queue_error);
  } else {
    std::cout << t.name << ": " << check.connection << "\n";
  }
  return check.passed() ? kSucceeded : kFailed;
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
      for (const auto& t : targets) std::cout << t.name << "\t" << remote::to_string(t.type) << "\t" << remote::describe_location(t) << "\n";
      result = kSucceeded;
      return;
    }
    auto t = remote::find_target(targets, args->name);
    if (!t) {
      std::cerr << "orrery: unknown target \"" << args->name << "\"\n";
      result = kUsage;
      return;
    }
    result = test_target(*t, targets, args->accept_new_host_key);
    (void)cmd;
  });
}

}  // namespace orrery::cli
