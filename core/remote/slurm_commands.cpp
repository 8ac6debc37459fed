#include "remote/slurm_commands.hpp"

#include "remote/slurm_job_history.hpp"

#include <algorithm>
#include <array>
#include <sstream>

namespace orrery::remote {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

bool SlurmJobState::ended() const {
  static constexpr std::array<std::string_view, 10> kFinal = {"COMPLETED", "FAILED",      "CANCELLED", "TIMEOUT",
                                                              "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL",
                                                              "DEADLINE",  "SPECIAL_EXIT"};
  return std::find(kFinal.begin(), kFinal.end(), state) != kFinal.end();
}

std::string SlurmJobState::describe() const {
  std::string out = state;
  if (state == "RUNNING" || state == "COMPLETING") return nodes.empty() ? out : out + " on " + nodes;
  std::string detail = reason == "None" ? "" : reason;
  if (ended() && !exit_code.empty() && exit_code != "0:0") detail += (detail.empty() ? "" : ", ") + ("exit code " + exit_code);
  if (!detail.empty()) out += " (" + detail + ")";
  return source.empty() ? out : out + " [" + source + "]";
}

std::optional<SlurmJobState> parse_scontrol_job(const std::string& line) {
  SlurmJobState s;
  std::string array_job, array_task;
  std::istringstream words(line);
  std::string w;
  while (words >> w) {
    auto eq = w.find('=');
    if (eq == std::string::npos) continue;
    auto key = w.substr(0, eq), value = w.substr(eq + 1);
    if (key == "JobId") s.job_id = value;
    else if (key == "ArrayJobId") array_job = value;
    else if (key == "ArrayTaskId") array_task = value;
    else if (key == "JobState") s.state = value;
    else if (key == "Reason") s.reason = value;
    else if (key == "NodeList") s.nodes = value == "(null)" ? "" : value;
    else if (key == "ExitCode") s.exit_code = value;
  }
  if (s.job_id.empty()) return std::nullopt;
  if (!array_job.empty() && !array_task.empty()) s.job_id = array_job + "_" + array_task;
  return s;
}

bool valid_job_id(const std::string& id) {
  if (id.empty() || id.size() > 40 || id.front() == '_' || id.back() == '_') return false;
  return std::count(id.begin(), id.end(), '_') <= 1 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || c == '_'; });
}

// What `scontrol show config` said of the cluster's memory of finished jobs (asked at the first
// job slurmctld no longer knows), and what the last look-up found missing.
struct SlurmCommands::History {
  std::mutex mutex;
  std::optional<SlurmHistorySources> sources;
  std::string last_miss;   // "no accounting (sacct)", "sacct failed: ...", ...
};

SlurmCommands::SlurmCommands(const SshConnection* via) : via_(via), history_(std::make_shared<History>()) {}

CapturedOutput SlurmCommands::run(const std::vector<std::string>& argv, const CaptureOptions& options) const {
  if (via_) return via_->run(argv, options);
  return run_captured(argv, options);
}

std::string SlurmCommands::where() const { return via_ ? via_->describe() : std::string("this machine"); }

std::string SlurmCommands::submit(const std::vector<std::string>& sbatch_args, const std::string& script_path) const {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), sbatch_args.begin(), sbatch_args.end());
  argv.push_back(script_path);
  CapturedOutput r;
  try {
    r = run(argv);
  } catch (const std::exception& e) {
    throw SlurmError(std::string("cannot run sbatch on ") + where() + ": " + e.what());
  }
  if (!r.success()) throw SlurmError("sbatch refused the job on " + where() + ": " + trimmed(r.err.empty() ? r.out : r.err));
  // --parsable: "jobid" or "jobid;cluster".
  std::string id = trimmed(r.out);
  id = id.substr(0, id.find(';'));
  if (!valid_job_id(id)) throw SlurmError("sbatch answered something that is not a job id: " + trimmed(r.out));
  return id;
}

std::optional<SlurmJobState> SlurmCommands::query(const std::string& job_id) const {
  auto r = run({"scontrol", "show", "job", "-o", job_id});
  if (!r.success()) {
    if (r.err.find("Invalid job id") != std::string::npos) return query_history(job_id);
    throw SlurmError("scontrol show job " + job_id + " failed on " + where() + ": " + trimmed(r.err));
  }
  // An array job's id shows every task: the line of the task asked for, else the first.
  std::istringstream lines(r.out);
  std::string line;
  std::optional<SlurmJobState> first;
  while (std::getline(lines, line)) {
    auto s = parse_scontrol_job(line);
    if (!s) continue;
    if (s->job_id == job_id) return s;
    if (!first) first = s;
  }
  return first;
}

std::optional<SlurmJobState> SlurmCommands::query_history(const std::string& job_id) const {
  // The lock guards the cache only: Slurm's commands run outside it (keepers ask from pool threads).
  std::optional<SlurmHistorySources> known;
  {
    std::lock_guard lock(history_->mutex);
    known = history_->sources;
  }
  if (!known) {
    auto config = run({"scontrol", "show", "config"});
    if (!config.success()) throw SlurmError("scontrol show config failed on " + where() + ": " + trimmed(config.err));
    known = parse_slurm_config(config.out);
    if (!known) throw SlurmError("scontrol show config on " + where() + " did not name AccountingStorageType");
    std::lock_guard lock(history_->mutex);
    history_->sources = known;
  }
  const auto& sources = *known;
  std::vector<std::string> missed = {"purged by slurmctld after MinJobAge"};
  if (sources.accounting) {
    auto r = run(sacct_argv(job_id));
    if (r.success()) {
      if (auto s = last_state_of(r.out, job_id, parse_sacct_line)) return s;
      missed.push_back("not in sacct");
    } else {
      missed.push_back("sacct failed: " + trimmed(r.err.substr(0, r.err.find('\n'))));
    }
  } else {
    missed.push_back("no accounting (sacct)");
  }
  if (!sources.jobcomp_file.empty()) {
    // Lines naming the job (JobId=12 or ArrayJobId=12 of a task); the parser keeps the one that is the job.
    const std::string base = job_id.substr(0, job_id.find('_'));
    auto r = run({"grep", "-F", "-e", "JobId=" + base + " ", "--", sources.jobcomp_file});
    if (r.success()) {
      if (auto s = last_state_of(r.out, job_id, parse_jobcomp_line)) return s;
    }
    // grep: 1 no line matched, 2 the file could not be read.
    const bool no_match = r.success() || (!r.timed_out && !r.cancelled && r.status.signal == 0 && r.status.exit_code == 1);
    missed.push_back(no_match ? "not in " + sources.jobcomp_file : sources.jobcomp_file + " not readable on " + where());
  } else {
    missed.push_back("no jobcomp/filetxt file");
  }
  std::string note;
  for (const auto& m : missed) note += (note.empty() ? "" : "; ") + m;
  std::lock_guard lock(history_->mutex);
  history_->last_miss = std::move(note);
  return std::nullopt;
}

std::string SlurmCommands::unknown_job_note() const {
  std::lock_guard lock(history_->mutex);
  return "no longer known to Slurm" + (history_->last_miss.empty() ? std::string() : " (" + history_->last_miss + ")");
}

void SlurmCommands::cancel(const std::string& job_id) const {
  auto r = run({"scancel", job_id});
  if (!r.success()) throw SlurmError("scancel " + job_id + " failed on " + where() + ": " + trimmed(r.err));
}

}  // namespace orrery::remote
