#include "remote/slurm_launcher.hpp"

#include "launch/starting_record.hpp"
#include "orrery/runtime.hpp"
#include "remote/shell_quote.hpp"
#include "remote/slurm_script.hpp"
#include "remote/ssh_launcher.hpp"
#include "spec/render_command.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace orrery::remote {

namespace {

// The last lines of a text file (Slurm's output of the batch script).
std::string tail_of(const fs::path& file, std::size_t count) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > count) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Writes text to a file on the login node (through the connection's shell, the path quoted).
void write_remote_file(const SshConnection& ssh, const std::string& path, const std::string& text) {
  CaptureOptions with_text;
  with_text.input = text;
  auto r = ssh.run_script("cat > " + shell_quote(path), with_text);
  if (!r.success()) throw SshError("cannot write " + path + " on " + ssh.describe() + ": " + r.err);
}

// A run whose agent never started: its verdict, in the job's folder and in the local one.
void settle(const fs::path& run_dir, const std::string& remote_run_dir, const SshConnection* via,
            runfiles::RunStatus status, const std::string& reason) {
  auto record = runfiles::read_run_record(run_dir);
  if (via && !remote_run_dir.empty()) {
    auto remote = read_remote_record(*via, remote_run_dir, std::chrono::seconds(10));
    if (!remote) return;
    record = *remote;
  }
  if (record.status != runfiles::RunStatus::Starting) return;   // the agent took the run over: its verdict stands
  record.status = status;
  record.reason = reason;
  record.ended = orrery::now();
  if (via && !remote_run_dir.empty()) write_remote_file(*via, remote_run_dir + "/run.json", record.to_json().dump(2) + "\n");
  runfiles::write_run_record(run_dir, record);
}

// Held while a run's slurm.json is read, changed and written back: an flock of the run's folder
// itself (no extra file in it), so that the runs browser's refresh on a pool thread, a cancel
// and `orrery cancel` in another process never write back a record read before the other's
// change (a cancel_requested lost). Each holder opens its own descriptor: flock excludes
// threads of one process too.
class RunFolderLock {
 public:
  explicit RunFolderLock(const fs::path& run_dir) : fd_(::open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ < 0) throw SlurmError("cannot open " + run_dir.string() + ": " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw SlurmError("cannot lock " + run_dir.string() + ": " + why);
    }
  }
  ~RunFolderLock() { ::close(fd_); }   // closing the descriptor releases the lock
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_;
};

}  // namespace

std::optional<SlurmJobRecord> update_slurm_record(const fs::path& run_dir, const std::function<void(SlurmJobRecord&)>& change) {
  RunFolderLock lock(run_dir);
  auto record = read_slurm_record(run_dir);
  if (!record) return std::nullopt;
  change(*record);
  write_slurm_record(run_dir, *record);
  return record;
}

void record_cancel_requested(const fs::path& run_dir) {
  if (!update_slurm_record(run_dir, [](SlurmJobRecord& r) { r.cancel_requested = true; }))
    throw SlurmError("no Slurm job recorded in " + (run_dir / "slurm.json").string());
}

SlurmBatch prepare_slurm(const runfiles::Project& project, const spec::KindSchema& kind, const std::vector<spec::Spec>& specs,
                         const launch::InstallPaths& paths, const Target& target, const SshConnection* via) {
  if (target.type != TargetType::Slurm) throw std::invalid_argument("target " + target.name + " is not a Slurm target");
  if (!target.slurm.via.empty() && !via) throw std::invalid_argument("target " + target.name + " needs its ssh connection");
  if (specs.empty()) throw std::invalid_argument("nothing to launch");
  // Where the job finds Orrery and its folders: this installation and project, or the ssh target's work folder.
  const std::string work = via ? remote_work_dir(*via, via->target().work_dir) : std::string();
  const std::string bin = via ? work + "/bin" : paths.bin_dir.string();
  const std::string share = via ? work + "/share/orrery" : paths.share_dir.string();
  SlurmBatch batch;
  batch.target = target.name;
  std::vector<runfiles::RunRecord> records;
  std::vector<DeployFile> files;
  for (const auto& spec : specs) {
    auto id = runfiles::make_run_id(project, spec.name.empty() ? kind.name : spec.name);
    auto dir = runfiles::run_path(project, id);
    fs::create_directories(dir / "logs");   // now, so the next run of a sweep gets another id
    const std::string job_dir = via ? work + "/runs/" + id : dir.string();
    auto local_argv = spec::render_command(kind, spec, {paths.bin_dir, paths.share_dir, project.root, dir});
    auto job_argv = via ? spec::render_command(kind, spec, {bin, share, work, job_dir}) : local_argv;
    if (via)
      for (auto& f : files_for_run(paths, bin, local_argv, job_argv))
        if (std::none_of(files.begin(), files.end(), [&](const DeployFile& d) { return d.remote == f.remote; })) files.push_back(f);
    auto record = launch::starting_record(id, kind, spec, target.name, job_argv);
    record.scheduler = "slurm";
    records.push_back(std::move(record));
    batch.run_ids.push_back(id);
    batch.run_dirs.push_back(dir);
    batch.job_run_dirs.push_back(job_dir);
  }
  if (via) deploy(*via, files);
  BatchScriptInput in;
  in.ranks = specs.front().ranks;
  in.agent = bin + "/orrery-agent";
  in.run_dirs = batch.job_run_dirs;
  batch.script = sbatch_script(target.slurm, in);
  // Slurm's own output (slurmstepd's lines): in the run's folder, or the first run's for an array.
  const std::string first = batch.job_run_dirs.front();
  batch.sbatch_args = {"--job-name=orrery-" + (specs.front().name.empty() ? kind.name : specs.front().name),
                       "--output=" + first + "/logs/" + (batch.run_ids.size() > 1 ? "slurm-%A_%a.out" : "slurm-%j.out"),
                       "--chdir=" + first};
  for (std::size_t i = 0; i < records.size(); ++i) {
    runfiles::write_file_atomically(batch.run_dirs[i] / "job.sh", batch.script);
    runfiles::write_run_record(batch.run_dirs[i], records[i]);
    if (!via) continue;
    auto made = via->run({"mkdir", "-p", "--", batch.job_run_dirs[i] + "/logs"});
    if (!made.success()) throw SshError("cannot make " + batch.job_run_dirs[i] + " on " + via->describe() + ": " + made.err);
    write_remote_file(*via, batch.job_run_dirs[i] + "/job.sh", batch.script);
    write_remote_file(*via, batch.job_run_dirs[i] + "/run.json", records[i].to_json().dump(2) + "\n");
  }
  return batch;
}

void submit_slurm(SlurmBatch& batch, const SlurmCommands& slurm) {
  const bool remote = batch.job_run_dirs.front() != batch.run_dirs.front().string();
  try {
    batch.job_id = slurm.submit(batch.sbatch_args, batch.job_run_dirs.front() + "/job.sh");
  } catch (const SlurmError& e) {
    for (std::size_t i = 0; i < batch.run_dirs.size(); ++i)
      settle(batch.run_dirs[i], remote ? batch.job_run_dirs[i] : "", slurm.via(), runfiles::RunStatus::Failed, e.what());
    throw;
  }
  for (std::size_t i = 0; i < batch.run_dirs.size(); ++i)
    write_slurm_record(batch.run_dirs[i], {batch.target, batch.job_of(i), remote ? batch.job_run_dirs[i] : "", {}, orrery::now()});
}

std::optional<SlurmJobRecord> read_slurm_record(const fs::path& run_dir) {
  std::ifstream in(run_dir / "slurm.json");
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("job") || !j["job"].is_string()) return std::nullopt;
  SlurmJobRecord r;
  r.target = j.value("target", "");
  r.job = j["job"].get<std::string>();
  r.remote_run_dir = j.value("remote_run_dir", "");
  if (!valid_job_id(r.job)) return std::nullopt;
  r.last.job_id = r.job;
  r.last.state = j.value("state", "");
  r.last.reason = j.value("reason", "");
  r.last.nodes = j.value("nodes", "");
  r.last.exit_code = j.value("exit_code", "");
  r.last.source = j.value("source", "");
  r.updated = j.value("updated", 0.0);
  r.cancel_requested = j.value("cancel_requested", false);
  return r;
}

void write_slurm_record(const fs::path& run_dir, const SlurmJobRecord& r) {
  nlohmann::json j = {{"target", r.target},        {"job", r.job},           {"remote_run_dir", r.remote_run_dir},
                      {"state", r.last.state},
                      {"reason", r.last.reason},   {"nodes", r.last.nodes},  {"exit_code", r.last.exit_code},
                      {"source", r.last.source},
                      {"updated", r.updated},      {"cancel_requested", r.cancel_requested}};
  runfiles::write_file_atomically(run_dir / "slurm.json", j.dump(2) + "\n");
}

void cancel_slurm_job(const fs::path& run_dir, const SlurmCommands& slurm) {
  auto record = read_slurm_record(run_dir);
  if (!record) throw SlurmError("no Slurm job recorded in " + (run_dir / "slurm.json").string());
  slurm.cancel(record->job);
  record_cancel_requested(run_dir);
}

std::optional<runfiles::RunRecord> job_side_record(const fs::path& run_dir, const SshConnection* via) {
  auto job = read_slurm_record(run_dir);
  if (via && job && !job->remote_run_dir.empty()) return read_remote_record(*via, job->remote_run_dir, std::chrono::seconds(10));
  try {
    return runfiles::read_run_record(run_dir);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

RemoteRun slurm_run_to_mirror(const std::string& run_id, const fs::path& run_dir, const runfiles::RunRecord& job_side) {
  auto job = read_slurm_record(run_dir);
  if (!job || job->remote_run_dir.empty()) throw std::runtime_error("slurm.json does not say where the job runs");
  return RemoteRun{run_id, job->target, run_dir, job->remote_run_dir, job_side, {}};
}

std::optional<SlurmJobState> refresh_slurm_run(const fs::path& run_dir, const SlurmCommands& slurm) {
  auto record = read_slurm_record(run_dir);
  if (!record) throw SlurmError("no Slurm job recorded in " + (run_dir / "slurm.json").string());
  return settle_slurm_run(run_dir, slurm, slurm.query(record->job));
}

std::optional<SlurmJobState> settle_slurm_run(const fs::path& run_dir, const SlurmCommands& slurm,
                                              const std::optional<SlurmJobState>& state) {
  const SshConnection* via = slurm.via();
  auto record = read_slurm_record(run_dir);
  if (!record) throw SlurmError("no Slurm job recorded in " + (run_dir / "slurm.json").string());
  if (state && state->job_id != record->job && state->job_id.rfind(record->job + "_", 0) != 0)
    throw SlurmError("the state of Slurm job " + state->job_id + " given for job " + record->job);
  if (state) {
    // Read again under the lock: a cancel recorded since the read above stays recorded.
    const auto updated = update_slurm_record(run_dir, [&state](SlurmJobRecord& r) {
      r.last = *state;
      r.updated = orrery::now();
    });
    if (updated) record = updated;
  }
  if (state && !state->ended()) return state;
  // The job is over. If its agent never took the run over, Slurm's word is the verdict.
  const std::string job = "Slurm job " + record->job;
  const std::string& remote = record->remote_run_dir;
  if (state && state->state == "CANCELLED") {
    settle(run_dir, remote, via, runfiles::RunStatus::Cancelled,
           job + " was cancelled before orrery-agent started (" + state->describe() + ")");
  } else if (!state && record->cancel_requested) {
    settle(run_dir, remote, via, runfiles::RunStatus::Cancelled,
           job + " was cancelled (scancel) before orrery-agent started; Slurm keeps no record of it (" +
               slurm.unknown_job_note() + ")");
  } else {
    std::string output;
    if (via && !remote.empty()) {
      auto tail = via->run_script("tail -n 8 " + shell_quote(remote + "/logs/agent.log") + " 2>/dev/null; tail -q -n 4 " +
                                  shell_quote(remote + "/logs") + "/slurm-*.out 2>/dev/null; true");
      output = tail.out;
    } else {
      output = tail_of(run_dir / "logs" / "agent.log", 8);
      for (const auto& f : fs::directory_iterator(run_dir / "logs"))
        if (f.path().filename().string().rfind("slurm-", 0) == 0) output += tail_of(f.path(), 4);
    }
    settle(run_dir, remote, via, runfiles::RunStatus::Failed,
           job + (state ? " ended " + state->describe() : " is " + slurm.unknown_job_note()) +
               " before orrery-agent started" + (output.empty() ? "" : "; its output:\n" + output));
  }
  return state;
}

}  // namespace orrery::remote
