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

// The "key<TAB>value" lines a check script prints, by key, in order (a key may repeat).
std::map<std::string, std::vector<std::string>> tagged_lines(const std::string& out) {
  std::map<std::string, std::vector<std::string>> tagged;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (auto tab = line.find('\t'); tab != std::string::npos) tagged[line.substr(0, tab)].push_back(line.substr(tab + 1));
  return tagged;
}

std::string first_of(const std::map<std::string, std::vector<std::string>>& tagged, const std::string& key) {
  auto it = tagged.find(key);
  return it == tagged.end() || it->second.empty() ? std::string() : it->second.front();
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
  const auto answer = tagged_lines(r.out);
  if (!r.success() && answer.empty()) {
    check.system = check.mpi = check.runtime = "unknown (the remote check failed: " + first_line_of(r.err) + ")";
    return false;
  }
  check.system = answer.count("system") ? first_of(answer, "system") : "unknown";
  const bool mpi_ok = first_of(answer, "mpi_status") == "0";
  check.mpi = mpi_ok ? first_of(answer, "mpi") : target.mpirun + " not usable: " + first_of(answer, "mpi");
  // The deployed agent is current when its hash matches this installation's.
  check.runtime = "not deployed (sent at the first run)";
  if (const auto deployed = first_of(answer, "agent"); !deployed.empty()) {
    std::string local;
    try {
      local = local_sha256({options.local_agent}).at(0);
    } catch (const std::exception&) {
    }
    check.runtime = local == deployed ? "orrery-agent deployed and current"
                                             : "orrery-agent deployed, older than this one (updated at the next run)";
  }
  return mpi_ok;
}

// One vector of whitespace-separated fields per non-empty line; the last field takes the rest of the line.
std::vector<std::vector<std::string>> rows_of(const std::vector<std::string>& lines, std::size_t columns) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines) {
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

// What a Slurm check asks, by the key its answer is filed under.
const std::vector<std::pair<std::string, std::vector<std::string>>>& slurm_questions() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> questions = {
      {"version", {"sinfo", "--version"}},
      {"partitions", {"sinfo", "--noheader", "--format=%P %a %l %D %T %N"}},
      {"queue", {"squeue", "--me", "--noheader", "--format=%i %P %j %T %M %R"}},
  };
  return questions;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The answers filed as tagged_lines() files them: KEY -> output lines, KEY_status -> exit status.
// Through ssh all questions go in one session (3 sessions cost 0.4-0.5 s each on a loaded host):
// a script of shell_quote()d words under sh -c where `ask KEY CMD...` tags CMD's lines as they
// come (a command that hangs still shows what it said) and prints its status on fd 3. Here,
// each question is its own argv call (no shell, nothing left running when one is killed).
std::map<std::string, std::vector<std::string>> ask_slurm(const SlurmCommands& slurm, const CaptureOptions& call,
                                                          bool* timed_out) {
  std::map<std::string, std::vector<std::string>> answer;
  if (slurm.via()) {
    std::string script =
        "exec 3>&1\n"
        "tag() { while IFS= read -r l; do printf '%s\\t%s\\n' \"$1\" \"$l\"; done; }\n"
        "ask() { k=$1; shift; { \"$@\" 2>&1; printf '%s_status\\t%s\\n' \"$k\" \"$?\" >&3; } | tag \"$k\"; }\n";
    for (const auto& [key, argv] : slurm_questions()) script += "ask " + key + " " + shell_command(argv) + "\n";
    auto r = slurm.run({"sh", "-c", script}, call);
    answer = tagged_lines(r.out);
    if (answer.empty()) answer["version"] = {first_line_of(r.err + r.out)};
    *timed_out = r.timed_out;
    return answer;
  }
  for (const auto& [key, argv] : slurm_questions()) {
    auto r = slurm.run(argv, call);
    answer[key] = lines_of(r.success() ? r.out : r.err + r.out);
    answer[key + "_status"] = {r.success() ? "0" : "1"};
    *timed_out = r.timed_out;
    if (!r.success() && key == "version") break;
    if (call.cancelled && call.cancelled->load()) break;
  }
  return answer;
}

bool check_slurm(const SlurmCommands& slurm, const TargetCheckOptions& options, TargetCheck& check) {
  auto call = within(std::chrono::seconds(30));
  call.cancelled = options.cancelled;
  bool timed_out = false;
  const auto answer = ask_slurm(slurm, call, &timed_out);
  auto lines = [&](const std::string& key) {
    auto it = answer.find(key);
    return it == answer.end() ? std::vector<std::string>{} : it->second;
  };
  if (first_of(answer, "version_status") != "0") {
    check.slurm = "Slurm not usable on " + slurm.where() + ": " + first_of(answer, "version") +
                  (timed_out ? " (no answer within " + std::to_string(call.timeout.count() / 1000) + " s)" : "");
    return false;
  }
  check.slurm = first_of(answer, "version") + " on " + slurm.where();
  const bool partitions_ok = first_of(answer, "partitions_status") == "0";
  const bool queue_ok = first_of(answer, "queue_status") == "0";
  if (partitions_ok) check.partitions = rows_of(lines("partitions"), kPartitionColumns.size());
  else check.partitions_error = first_of(answer, "partitions");
  if (queue_ok) check.queue = rows_of(lines("queue"), kQueueColumns.size());
  else check.queue_error = first_of(answer, "queue");
  return partitions_ok && queue_ok;
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
