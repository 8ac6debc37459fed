#include "slurm_run.hpp"

#include "follow.hpp"

#include "orrery/runtime.hpp"
#include "remote/slurm_access.hpp"
#include "remote/slurm_launcher.hpp"
#include "remote/ssh_launcher.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

namespace orrery::cli {

namespace {

using runfiles::RunStatus;
using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(500);
// Once a job has left Slurm's queue its agent has written the run's verdict (or Slurm's was
// written for it): a follower that still cannot read it after this long gives the run up.
constexpr auto kVerdictGrace = std::chrono::seconds(15);
constexpr auto kMirrorBackoffMax = std::chrono::seconds(8);   // between attempts to start a task's mirror


using remote::SlurmAccess;

std::unique_ptr<SlurmAccess> reach(const runfiles::Project& project, const remote::Target& target, bool accept_new_host_key) {
  return std::make_unique<SlurmAccess>(
      remote::reach_slurm(project_targets(project), target, remote::SshOptions::accepting_new_keys(accept_new_host_key)));
}

// Prints "slurm job 12: PENDING (Resources)" whenever what Slurm says of a run changes.
class StateLines {
 public:
  explicit StateLines(const remote::SlurmCommands& slurm) : slurm_(slurm) {}
  void show(const std::string& label, const std::optional<remote::SlurmJobState>& s) {
    std::string text = s ? s->describe() : slurm_.unknown_job_note();
    if (last_[label] == text) return;
    last_[label] = text;
    std::cout << label << ": " << text << "\n" << std::flush;
  }

 private:
  const remote::SlurmCommands& slurm_;
  std::map<std::string, std::string> last_;
};

// The state slurm.json last recorded: what a round that could not ask Slurm goes on with.
std::optional<remote::SlurmJobState> last_recorded(const std::filesystem::path& dir) {
  auto r = remote::read_slurm_record(dir);
  return r && !r->last.state.empty() ? std::optional(r->last) : std::nullopt;
}

// Counts the time since Slurm first said a run's job had left its queue (ended, or no longer
// known): past kVerdictGrace without the run's verdict in sight, the follower gives the run up.
class VerdictDeadline {
 public:
  // state: Slurm's answer of this round (not one recorded earlier).
  void saw(const std::optional<remote::SlurmJobState>& state) {
    if ((!state || state->ended()) && !left_queue_) left_queue_ = Clock::now();
  }
  bool passed() const { return left_queue_ && Clock::now() - *left_queue_ > kVerdictGrace; }

 private:
  std::optional<Clock::time_point> left_queue_;
};

// Slurm's state of the run's job, recorded; when Slurm cannot be asked, what slurm.json last
// recorded (said, and retried next round). deadline, if given, counts only Slurm's own answers.
std::optional<remote::SlurmJobState> refresh(const std::filesystem::path& dir, const remote::SlurmCommands& slurm,
                                             VerdictDeadline* deadline = nullptr) {
  try {
    auto state = remote::refresh_slurm_run(dir, slurm);
    if (deadline) deadline->saw(state);
    return state;
  } catch (const remote::SlurmError& e) {
    std::cerr << "orrery: " << e.what() << " (retrying)\n";
    return last_recorded(dir);
  }
}

// A run whose verdict the follower could not read although its job is over: failed here (the
// local run.json; the other side is out of reach), with the job, Slurm's last word and why.
int give_up(const std::string& run_id, const std::filesystem::path& dir, const std::string& job,
            const std::optional<remote::SlurmJobState>& state, const remote::SlurmCommands& slurm, const std::string& problem) {
  const std::string why = "slurm job " + job + " left the queue (" + (state ? state->describe() : slurm.unknown_job_note()) +
                          ") but run " + run_id + "'s verdict could not be read within " +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kVerdictGrace).count()) +
                          " s: " + problem;
  auto record = runfiles::read_run_record(dir);
  if (!runfiles::is_final(record.status)) {
    record.status = RunStatus::Failed;
    record.reason = why + " (`orrery attach " + run_id + "` looks again)";
    record.ended = orrery::now();
    runfiles::write_run_record(dir, record);
  }
  std::cerr << "orrery: gave up following run " << run_id << ": " << why << "\n" << std::flush;
  return kFailed;
}

// Why a run followed through a login node has no verdict here yet.
std::string unread_verdict(const remote::SshConnection* via, const std::string& job_run_dir, bool mirrored) {
  if (!via) return "its run.json here is not final";
  if (mirrored) return "its mirror has not seen a final run.json on " + via->describe();
  return "its run.json on " + via->describe() + ":" + job_run_dir + " cannot be read";
}

void print_mirror_note(const std::string& line) { std::cerr << "\n" << line << "\n" << std::flush; }

// Waits for a mirrored run's folder to be copied back; a run that could not be is a failure.
int settle_copy(const SlurmAccess& access, remote::RemoteRunMirror& mirror, const std::string& remote_run_dir, int code) {
  if (!mirror.wait_copied(std::chrono::minutes(10))) {
    std::cerr << "orrery: the run's folder could not be copied back from " << access.ssh->describe() << ":" << remote_run_dir
              << "\n";
    if (code == kSucceeded) code = kFailed;
  }
  mirror.stop();
  return code;
}

// Follows a run whose agent has taken it over on the login node's side of an ssh target: the
// ssh launcher's mirror (forwarded feed, run.json, copy back at the end) under the live follower.
int follow_through_ssh(const runfiles::Project& project, SlurmAccess& access, const remote::SlurmBatch& batch,
                       const runfiles::RunRecord& record, const RemoteRunOptions& options) {
  auto run = remote::slurm_run_to_mirror(batch.run_ids.front(), batch.run_dirs.front(), record);
  remote::RemoteRunMirror mirror(*access.ssh, run, print_mirror_note);
  mirror.start();
  int code = follow_run(project, run.run_id, {options.quiet, true});
  if (code == kDetached) {
    mirror.stop();
    return code;
  }
  return settle_copy(access, mirror, run.remote_run_dir, code);
}

// One run: Slurm's states until the agent takes the run over, then the live follower.
int follow_one(const runfiles::Project& project, SlurmAccess& access, const remote::SlurmBatch& batch,
               const RemoteRunOptions& options) {
  const auto& slurm = access.commands;
  const auto& dir = batch.run_dirs.front();
  const std::string label = "slurm job " + batch.job_id;
  const remote::SshConnection* via = access.ssh ? &*access.ssh : nullptr;
  StateLines lines(slurm);
  VerdictDeadline deadline;
  std::optional<runfiles::RunRecord> record;
  for (;;) {
    const auto state = refresh(dir, slurm, &deadline);
    lines.show(label, state);
    record = remote::job_side_record(dir, via);
    if (record && record->status != RunStatus::Starting) break;
    if (deadline.passed())
      return give_up(batch.run_ids.front(), dir, batch.job_id, state, slurm,
                     unread_verdict(via, batch.job_run_dirs.front(), false));
    std::this_thread::sleep_for(kPoll);
  }
  int code = via                                   ? follow_through_ssh(project, access, batch, *record, options)
             : runfiles::is_final(record->status) ? (print_outcome(*record), exit_code_for(record->status))
                                                   : follow_run(project, batch.run_ids.front(), {options.quiet, true});
  if (code == kDetached) return code;
  // The job ends shortly after its agent: show Slurm's final word on it.
  for (int i = 0; i < 20; ++i) {
    auto state = refresh(dir, slurm);
    if (!state || state->ended()) {
      lines.show(label, state);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return code;
}

// A task of a job array as its follower sees it.
struct ArrayTask {
  std::unique_ptr<remote::RemoteRunMirror> mirror;   // through a login node, once its agent has taken the run over
  bool done = false;
  bool given_up = false;
  VerdictDeadline deadline;
  int mirror_failures = 0;
  Clock::time_point next_mirror_try{};
  std::string problem;   // why its verdict cannot be read yet (said when the task is given up)
};

// Through via, once the task's agent has taken its run over: the run's mirror, started. A mirror
// that fails to start is tried again after a pause that grows with each failure.
void try_mirror(const remote::SlurmBatch& batch, std::size_t i, const SlurmAccess& access, ArrayTask& task) {
  if (Clock::now() < task.next_mirror_try) return;
  const auto& dir = batch.run_dirs[i];
  auto job_side = remote::job_side_record(dir, access.ssh.get());
  if (!job_side) {
    task.problem = unread_verdict(access.ssh.get(), batch.job_run_dirs[i], false);
    return;
  }
  if (job_side->status == RunStatus::Starting) return;
  auto mirror = std::make_unique<remote::RemoteRunMirror>(
      *access.ssh, remote::slurm_run_to_mirror(batch.run_ids[i], dir, *job_side), print_mirror_note);
  try {
    mirror->start();
    task.mirror = std::move(mirror);
    task.problem = unread_verdict(access.ssh.get(), batch.job_run_dirs[i], true);
  } catch (const remote::SshError& e) {
    ++task.mirror_failures;
    task.next_mirror_try = Clock::now() + std::min<Clock::duration>(kPoll * (1 << std::min(task.mirror_failures, 5)),
                                                                    kMirrorBackoffMax);
    task.problem = "its mirror could not be started (" + std::to_string(task.mirror_failures) +
                   (task.mirror_failures == 1 ? " attempt): " : " attempts): ") + e.what();
    std::cerr << "orrery: cannot follow run " << batch.run_ids[i] << " on the login node yet: " << e.what() << " (attempt "
              << task.mirror_failures << ", retrying)\n";
  }
}

// A job array: every task's Slurm state and run status until all runs have their verdict. One
// squeue call per round names every task still open. Through an ssh login node each task's run
// gets its own mirror on the one connection once its agent has taken it over (as the launch
// form's keepers do), and every folder is copied back. A task whose verdict cannot be read
// kVerdictGrace after its job left the queue is given up (failed, with the reason); the others go on.
int follow_array(const remote::SlurmBatch& batch, const SlurmAccess& access) {
  const auto& slurm = access.commands;
  const remote::SshConnection* via = access.ssh.get();
  StateLines lines(slurm);
  const std::size_t n = batch.run_dirs.size();
  std::vector<ArrayTask> tasks(n);
  std::size_t left = n;
  while (left > 0) {
    std::vector<std::string> open;
    for (std::size_t i = 0; i < n; ++i)
      if (!tasks[i].done) open.push_back(batch.job_of(i));
    std::map<std::string, std::optional<remote::SlurmJobState>> answered;
    bool asked = true;
    try {
      answered = slurm.query_all(open);
    } catch (const remote::SlurmError& e) {
      std::cerr << "orrery: " << e.what() << " (retrying)\n";
      asked = false;
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto& task = tasks[i];
      if (task.done) continue;
      const auto& dir = batch.run_dirs[i];
      std::optional<remote::SlurmJobState> state = asked ? answered.at(batch.job_of(i)) : last_recorded(dir);
      if (asked) {
        try {
          remote::settle_slurm_run(dir, slurm, state);
          task.deadline.saw(state);
        } catch (const remote::SlurmError& e) {
          std::cerr << "orrery: " << e.what() << " (retrying)\n";
        }
      }
      lines.show("slurm job " + batch.job_of(i), state);
      if (via && !task.mirror) try_mirror(batch, i, access, task);
      // Through via the local run.json is the mirror's copy: the agent's pid is on the other side.
      auto record = runfiles::read_run_record(dir);
      auto status = via ? record.status : launch::observed_status(record);
      if (runfiles::is_final(status) && (!state || state->ended())) {
        task.done = true;
        --left;
      } else if (task.deadline.passed()) {
        if (task.mirror) task.mirror->stop();
        task.mirror.reset();
        give_up(batch.run_ids[i], dir, batch.job_of(i), state, slurm,
                task.problem.empty() ? unread_verdict(via, batch.job_run_dirs[i], false) : task.problem);
        task.given_up = task.done = true;
        --left;
      }
    }
    if (left) std::this_thread::sleep_for(kPoll);
  }
  int code = kSucceeded;
  for (std::size_t i = 0; i < n; ++i) {
    auto record = runfiles::read_run_record(batch.run_dirs[i]);
    int run_code = tasks[i].given_up                       ? kFailed
                   : record.status == RunStatus::Succeeded ? kSucceeded
                                                           : exit_code_for(launch::observed_status(record));
    if (tasks[i].mirror) run_code = settle_copy(access, *tasks[i].mirror, batch.job_run_dirs[i], run_code);
    print_outcome(runfiles::read_run_record(batch.run_dirs[i]));
    if (run_code != kSucceeded && code == kSucceeded) code = run_code;
  }
  return code;
}

}  // namespace

int run_on_slurm(const runfiles::Project& project, const spec::KindSchema& kind, const std::vector<spec::Spec>& specs,
                 const launch::InstallPaths& paths, const remote::Target& target, const RemoteRunOptions& options) {
  auto access = reach(project, target, options.accept_new_host_key);
  auto batch = remote::prepare_slurm(project, kind, specs, paths, target, access->ssh ? &*access->ssh : nullptr);
  if (options.show_script) {
    std::cout << "sbatch script (" << (batch.run_dirs.front() / "job.sh").string() << "), submitted as: sbatch --parsable";
    for (const auto& a : batch.sbatch_args) std::cout << " " << a;
    std::cout << " job.sh\n" << batch.script << std::flush;
  }
  remote::submit_slurm(batch, access->commands);
  for (std::size_t i = 0; i < batch.run_ids.size(); ++i)
    std::cout << "run " << batch.run_ids[i] << " submitted: " << kind.name << " on " << specs[i].ranks << " ranks on "
              << target.name << " as slurm job " << batch.job_of(i) << "\n"
              << "  files: " << batch.run_dirs[i].string() << "\n";
  std::cout << std::flush;
  // Detached through a login node: `orrery attach RUN` later mirrors the run and copies it back.
  if (options.detach) return kSucceeded;
  return batch.run_ids.size() == 1 ? follow_one(project, *access, batch, options) : follow_array(batch, *access);
}

std::optional<int> attach_slurm(const runfiles::Project& project, const std::string& run_id, const RemoteRunOptions& options) {
  const auto dir = runfiles::run_path(project, run_id);
  auto job = remote::read_slurm_record(dir);
  if (!job) return std::nullopt;   // not a Slurm run
  // Through a login node, a run already copied back is whole here: followed here, no connection.
  if (!job->remote_run_dir.empty()) {
    if (auto where = remote::read_remote_json(dir); where && where->value("copied_back", false)) return std::nullopt;
  }
  auto target = remote::find_target(project_targets(project), job->target);
  if (!target || target->type != remote::TargetType::Slurm) {
    std::cerr << "orrery: the Slurm target \"" << job->target << "\" of run " << run_id << " is not in orrery.json\n";
    return kFailed;
  }
  auto access = reach(project, *target, options.accept_new_host_key);
  // The run as follow_one knows it from its submission (one run, one job).
  remote::SlurmBatch batch;
  batch.target = target->name;
  batch.run_ids = {run_id};
  batch.run_dirs = {dir};
  batch.job_run_dirs = {job->remote_run_dir.empty() ? dir.string() : job->remote_run_dir};
  batch.job_id = job->job;
  std::cout << "following run " << run_id << " (slurm job " << job->job << " on " << target->name << ")\n" << std::flush;
  return follow_one(project, *access, batch, options);
}

int cancel_slurm_run(const runfiles::Project& project, const std::string& run_id, bool wait) {
  const auto dir = runfiles::run_path(project, run_id);
  auto job = remote::read_slurm_record(dir);
  if (!job) {
    std::cerr << "orrery: run " << run_id << " went to Slurm but its job is not recorded (slurm.json)\n";
    return kFailed;
  }
  auto target = remote::find_target(project_targets(project), job->target);
  if (!target || target->type != remote::TargetType::Slurm) {
    std::cerr << "orrery: the Slurm target \"" << job->target << "\" of run " << run_id << " is not in orrery.json\n";
    return kFailed;
  }
  auto access = reach(project, *target, false);
  // A job that has already ended (slurmctld may have purged it: sacct or the jobcomp file then
  // remember it) has nothing to scancel: Slurm's last word is the answer, and a run its agent never
  // took over gets its verdict from it here (refresh_slurm_run).
  auto before = remote::refresh_slurm_run(dir, access->commands);
  if (!before || before->ended()) {
    std::cout << "slurm job " << job->job << " already ended: "
              << (before ? before->describe() : access->commands.unknown_job_note()) << "; nothing to cancel\n";
    if (auto seen = remote::job_side_record(dir, access->ssh.get()); seen && runfiles::is_final(seen->status)) {
      std::cout << "run " << run_id << " is already " << runfiles::to_string(seen->status) << "\n";
      if (!seen->reason.empty()) std::cout << "  " << seen->reason << "\n";
    }
    std::cout << std::flush;
    return kSucceeded;
  }
  remote::cancel_slurm_job(dir, access->commands);
  std::cout << "scancel " << job->job << " done for run " << run_id << "\n" << std::flush;
  if (!wait) return kSucceeded;
  // The agent (if it runs) gets SIGTERM and writes the verdict; a queued run gets Slurm's.
  for (int i = 0; i < 120; ++i) {
    auto state = refresh(dir, access->commands);
    auto seen = remote::job_side_record(dir, access->ssh ? &*access->ssh : nullptr);
    if (!seen) {
      std::this_thread::sleep_for(kPoll);
      continue;
    }
    auto record = *seen;
    if (runfiles::is_final(launch::observed_status(record)) && (!state || state->ended())) {
      print_outcome(record);
      if (state) std::cout << "  slurm job " << job->job << ": " << state->describe() << "\n";
      return kSucceeded;
    }
    std::this_thread::sleep_for(kPoll);
  }
  std::cerr << "orrery: run " << run_id << " has no verdict yet after scancel\n";
  return kFailed;
}

}  // namespace orrery::cli
