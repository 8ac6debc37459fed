#include "remote/target_check.hpp"

#include "remote/deploy.hpp"
#include "remote/shell_quote.hpp"
#include "remote/slurm_commands.hpp"
#include "remote/ssh_connection.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <sstream>

namespace orrery::remote {

namespace {

std::string first_line_of(const std::string& text) { return text.substr(0, text.find('\n')); }

bool check_cancelled(const TargetCheckOptions& o) { return o.cancelled && o.cancelled->load(); }

// Opens the control master; on failure the check says why (and, for an unknown key, which keys are offered).
std::optional<SshConnection> open_for_check(const SshTarget& target, const TargetCheckOptions& options, TargetCheck& check) {
  try {
    std::optional<SshConnection> ssh;
    auto ssh_options = SshOptions::accepting_new_keys(options.accept_new_host_key);
    ssh_options.cancelled = options.cancelled;
    ssh.emplace(target, ssh_options);
    check.warm = ssh->master_running();
    auto t0 = std::chrono::steady_clock::now();
    ssh->open();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    check.connected = true;
    check.connection = "connected to " + ssh->describe() + " (" + (check.warm ? "warm connection" : "new connection") +
                       ", " + std::to_string(ms) + " ms)";
    return ssh;
  } catch (const UnknownHostKeyError& e) {
    check.outcome = TargetCheck::Outcome::UnknownHostKey;
    check.connection = e.what();
    check.unknown_host = target;
    if (options.scan_unknown_host_key) {
      try {
        check.offered_keys = scan_host_keys(target);
      } catch (const SshError& scan) {
        check.connection += std::string("\n(its keys could not be fetched: ") + scan.what() + ")";
      }
    }
  } catch (const std::exception& e) {
    check.outcome = TargetCheck::Outcome::Failed;
    check.connection = e.what();
  }
  return std::nullopt;
}

// The remote system, MPI and deployed runtime of an open connection, asked in one remote
// session: each session costs 0.3-0.5 s on a loaded host (sshd's fork, the login shell), so
// one script instead of four calls is what makes a warm check cheap enough to repeat in the
// background. The script runs under sh -c (whatever the login shell) and prints "key<TAB>value"
// lines. True when MPI is usable.
bool check_ssh_host(const SshConnection& ssh, const SshTarget& target, const TargetCheckOptions& options,
                    TargetCheck& check) {
  const std::string script =
      "printf 'system\\t%s\\n' \"$(uname -srm 2>&1)\"\n"
      "m=$(" + shell_command({target.mpirun, "--version"}) + " 2>&1); r=$?\n"
      "printf 'mpi_status\\t%s\\nmpi\\t%s\\n' \"$r\" \"$(printf '%s\\n' \"$m\" | head -n 1)\"\n"
      "if d=$(cd " + shell_quote(target.work_dir) + " 2>/dev/null && pwd -P); then\n"
      "  printf 'agent\\t%s\\n' \"$(sha256sum -- \"$d/bin/orrery-agent\" 2>/dev/null | cut -d ' ' -f 1)\"\n"
      "fi\n";
  auto r = ssh.run({"sh", "-c", script});
  std::map<std::string, std::string> answer;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (auto tab = line.find('\t'); tab != std::string::npos) answer[line.substr(0, tab)] = line.substr(tab + 1);
  if (!r.success() && answer.empty()) {
    check.system = check.mpi = check.runtime = "unknown (the remote check failed: " + first_line_of(r.err) + ")";
    return false;
  }
  check.system = answer.count("system") ? answer["system"] : "unknown";
  const bool mpi_ok = answer["mpi_status"] == "0";
  check.mpi = mpi_ok ? answer["mpi"] : target.mpirun + " not usable: " + answer["mpi"];
  // The deployed agent is current when its hash matches this installation's.
  check.runtime = "not deployed (sent at the first run)";
  if (!answer["agent"].empty()) {
    std::string local;
    try {
      local = local_sha256({options.local_agent}).at(0);
    } catch (const std::exception&) {
    }
    check.runtime = local == answer["agent"] ? "orrery-agent deployed and current"
                                             : "orrery-agent deployed, older than this one (updated at the next run)";
  }
  return mpi_ok;
}

// One vector of whitespace-separated fields per non-empty line; the last field takes the rest of the line.
std::vector<std::vector<std::string>> rows_of(const std::string& text, std::size_t columns) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string w; row.size() + 1 < columns && words >> w;) row.push_back(w);
    std::string rest;
    std::getline(words >> std::ws, rest);
    if (!rest.empty()) row.push_back(rest);
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

bool check_slurm(const SlurmCommands& slurm, const TargetCheckOptions& options, TargetCheck& check) {
  auto call = within(std::chrono::seconds(30));
  call.cancelled = options.cancelled;
  auto version = slurm.run({"sinfo", "--version"}, call);
  if (!version.success()) {
    check.slurm = "Slurm not usable on " + slurm.where() + ": " + first_line_of(version.err + version.out);
    return false;
  }
  check.slurm = first_line_of(version.out) + " on " + slurm.where();
  if (check_cancelled(options)) return false;
  auto partitions = slurm.run({"sinfo", "--noheader", "--format=%P %a %l %D %T %N"}, call);
  if (partitions.success()) check.partitions = rows_of(partitions.out, kPartitionColumns.size());
  else check.partitions_error = first_line_of(partitions.err + partitions.out);
  if (check_cancelled(options)) return false;
  auto queue = slurm.run({"squeue", "--me", "--noheader", "--format=%i %P %j %T %M %R"}, call);
  if (queue.success()) check.queue = rows_of(queue.out, kQueueColumns.size());
  else check.queue_error = first_line_of(queue.err + queue.out);
  return partitions.success() && queue.success();
}

// The checks in order; false when one failed (the check says which and why).
bool run_checks(const Target& target, const std::vector<Target>& all, const TargetCheckOptions& options, TargetCheck& check) {
  if (target.type == TargetType::Local) {
    check.connected = true;
    check.connection = "this machine";
    return true;
  }
  if (target.type == TargetType::Ssh) {
    auto ssh = open_for_check(target.ssh, options, check);
    return ssh && check_ssh_host(*ssh, target.ssh, options, check);
  }
  std::optional<SshConnection> ssh;
  if (!target.slurm.via.empty()) {
    auto via = find_target(all, target.slurm.via);
    if (!via || via->type != TargetType::Ssh) {
      check.connection = "the ssh target \"" + target.slurm.via + "\" of " + target.name + " is not usable";
      return false;
    }
    ssh = open_for_check(via->ssh, options, check);
    if (!ssh) return false;
  } else {
    check.connected = true;
    check.connection = "this machine";
  }
  return !check_cancelled(options) && check_slurm(SlurmCommands(ssh ? &*ssh : nullptr), options, check);
}

}  // namespace

std::string to_string(TargetCheck::Outcome outcome) {
  switch (outcome) {
    case TargetCheck::Outcome::Passed: return "passed";
    case TargetCheck::Outcome::Failed: return "failed";
    case TargetCheck::Outcome::UnknownHostKey: return "unknown host key";
    case TargetCheck::Outcome::Cancelled: return "cancelled";
  }
  return {};
}

TargetCheck check_target(const Target& target, const std::vector<Target>& all, const TargetCheckOptions& options) {
  TargetCheck check;
  check.target = target.name;
  const bool ok = run_checks(target, all, options, check);
  if (check_cancelled(options)) check.outcome = TargetCheck::Outcome::Cancelled;
  else if (check.outcome != TargetCheck::Outcome::UnknownHostKey) check.outcome = ok ? TargetCheck::Outcome::Passed : TargetCheck::Outcome::Failed;
  return check;
}

}  // namespace orrery::remote
