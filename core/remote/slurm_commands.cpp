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

std::vector<std::string> squeue_states_argv(const std::vector<std::string>& job_ids) {
  std::string jobs;
  for (const auto& id : job_ids) jobs += (jobs.empty() ? "" : ",") + id;
  // A field's width left out with a suffix: printed whole, unpadded, then the suffix.
  return {"squeue", "--jobs=" + jobs, "--states=all", "--array", "--noheader",
          "--Format=JobArrayID:|,State:|,Reason:|,NodeList:|,exit_code:|"};
}

std::optional<SlurmJobState> parse_squeue_line(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (auto bar = line.find('|'); bar != std::string::npos; start = bar + 1, bar = line.find('|', start))
    fields.push_back(line.substr(start, bar - start));
  if (fields.size() != 5 || start != line.size()) return std::nullopt;
  const auto upper = [](const std::string& w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
  };
  const auto printable = [](const std::string& w) {
    return std::all_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
  };
  const auto& status = fields[4];
  if (!valid_job_id(fields[0]) || !upper(fields[1]) || !printable(fields[2]) || !printable(fields[3]) || status.empty() ||
      status.size() > 10 || !std::all_of(status.begin(), status.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  // squeue prints the batch script's wait status; scontrol and sacct say "exit code:signal".
  const long wait_status = std::stol(status);
  const long signal = wait_status & 0x7f;
  SlurmJobState s;
  s.job_id = fields[0];
  s.state = fields[1];
  s.reason = fields[2];
  s.nodes = fields[3];
  s.exit_code = signal ? "0:" + std::to_string(signal) : std::to_string((wait_status >> 8) & 0xff) + ":0";
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
  return query_all({job_id}).at(job_id);
}

std::map<std::string, std::optional<SlurmJobState>> SlurmCommands::query_all(const std::vector<std::string>& job_ids) const {
  std::map<std::string, std::optional<SlurmJobState>> found;
  for (const auto& id : job_ids)
    if (!valid_job_id(id)) throw SlurmError("not a Slurm job id: \"" + id.substr(0, 60) + "\"");
  if (job_ids.empty()) return found;
  auto r = run(squeue_states_argv(job_ids));
  // squeue refuses a list of one id slurmctld does not know ("Invalid job id specified"); a
  // longer list it answers for the ids it knows.
  const bool none_known = !r.success() && r.err.find("Invalid job id") != std::string::npos;
  if (!r.success() && !none_known)
    throw SlurmError("squeue --jobs=" + job_ids.front() + (job_ids.size() > 1 ? ",..." : "") + " failed on " + where() + ": " +
                     trimmed(r.err));
  std::vector<SlurmJobState> seen;
  if (!none_known) {
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      if (trimmed(line).empty()) continue;
      auto s = parse_squeue_line(trimmed(line));
      if (!s) throw SlurmError("squeue on " + where() + " answered a line that is not a job's state: " + line.substr(0, 200));
      seen.push_back(std::move(*s));
    }
  }
  for (const auto& id : job_ids) {
    if (found.count(id)) continue;
    // An array's own id (not a task's) is answered by its tasks: the first one stands for it.
    auto it = std::find_if(seen.begin(), seen.end(), [&](const SlurmJobState& s) { return s.job_id == id; });
    if (it == seen.end() && id.find('_') == std::string::npos)
      it = std::find_if(seen.begin(), seen.end(), [&](const SlurmJobState& s) { return s.job_id.rfind(id + "_", 0) == 0; });
    found[id] = it != seen.end() ? std::optional(*it) : query_history(id);
  }
  return found;
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
    auto r = run(sacct_argv(job_id, sources.cluster));
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
