#include "launch/slurm_job_keeper.hpp"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "launch/local_launcher.hpp"
#include "launch/remote_run_keeper.hpp"
#include "remote/slurm_launcher.hpp"
#include "remote/slurm_round.hpp"
#include "remote/ssh_launcher.hpp"
#include "runfiles/run_record.hpp"

namespace orrery::panels {

namespace {

struct SlurmLook {
  QString state;   // what Slurm says, or why it could not be asked
  bool over = false;
  FollowedRemoteRun followed;   // via: set once the agent has taken the run over and its mirror runs
  std::string hand_over_error;
};

// Through via: the agent has taken the run over on the login node's side; start mirroring it there.
FollowedRemoteRun hand_over(const std::string& run_id, const std::filesystem::path& run_dir,
                            const std::shared_ptr<remote::SshConnection>& via, const std::shared_ptr<std::atomic<bool>>& cancelled,
                            const runfiles::RunRecord& job_side) {
  auto notes = std::make_shared<MirrorNotes>();
  auto mirror = std::make_shared<remote::RemoteRunMirror>(*via, remote::slurm_run_to_mirror(run_id, run_dir, job_side),
                                                          [notes](const std::string& line) { notes->add(line); });
  mirror->start();
  return {run_id, cancelled, via, std::move(notes), std::move(mirror)};
}

SlurmLook look_at_job(const std::string& run_id, const std::filesystem::path& run_dir, const std::string& job,
                      const std::shared_ptr<remote::SshConnection>& via, const std::shared_ptr<std::atomic<bool>>& cancelled,
                      const std::shared_ptr<remote::SlurmRound>& round, bool hand_over_due) {
  SlurmLook look;
  try {
    // The round's answer (one squeue for the target's followed jobs), then this run's own settling.
    const auto& slurm = round->commands();
    auto state = remote::settle_slurm_run(run_dir, slurm, round->state_of(job));
    look.state = QString::fromStdString(state ? state->describe() : slurm.unknown_job_note());
    if (hand_over_due) {
      auto job_side = remote::job_side_record(run_dir, via.get());
      if (job_side && job_side->status != runfiles::RunStatus::Starting) {
        try {
          look.followed = hand_over(run_id, run_dir, via, cancelled, *job_side);
        } catch (const std::exception& e) {
          look.hand_over_error = e.what();
        }
      }
    }
    const auto record = runfiles::read_run_record(run_dir);
    // Through via the local run.json is the mirror's copy: the agent's pid is on the other side.
    const auto status = via ? record.status : launch::observed_status(record);
    look.over = runfiles::is_final(status) && (!state || state->ended());
  } catch (const std::exception& e) {
    look.state = QString::fromStdString(std::string("cannot ask Slurm (retrying): ") + e.what());
  }
  return look;
}

}  // namespace

SlurmJobKeeper::SlurmJobKeeper(QString runId, std::filesystem::path runDir, std::string job,
                               std::shared_ptr<remote::SlurmRound> round, QObject* parent,
                               std::shared_ptr<remote::SshConnection> via, std::shared_ptr<std::atomic<bool>> cancelled)
    : QObject(parent),
      run_id_(std::move(runId)),
      run_dir_(std::move(runDir)),
      via_(std::move(via)),
      cancelled_(std::move(cancelled)),
      job_(std::move(job)),
      round_(std::move(round)) {
  round_->follow(job_);
  timer_.setInterval(kAskSlurmMs);
  connect(&timer_, &QTimer::timeout, this, &SlurmJobKeeper::ask);
  timer_.start();
  // Next turn of the event loop: the other keepers of a sweep made with this one follow their
  // jobs by then, so the first round asks about all of them at once.
  QTimer::singleShot(0, this, &SlurmJobKeeper::ask);
}

SlurmJobKeeper::~SlurmJobKeeper() {
  // The last owner of the connection closes its control master (an ssh call): not on the UI thread.
  // The round's commands point at its connection: they go with it (a look still running holds both).
  round_->unfollow(job_);
  if (via_ || round_->via())
    (void)QtConcurrent::run([round = std::move(round_), via = std::move(via_), cancelled = std::move(cancelled_)] {});
}

void SlurmJobKeeper::ask() {
  if (asking_) return;
  asking_ = true;
  auto* watcher = new QFutureWatcher<SlurmLook>(this);
  connect(watcher, &QFutureWatcher<SlurmLook>::finished, this, [this, watcher] {
    SlurmLook look = watcher->result();
    watcher->deleteLater();
    asking_ = false;
    // Handed over first: Slurm's state is then the last word shown for this look.
    if (look.followed.mirror) {
      handed_over_ = true;
      emit handedOver(run_id_, new RemoteRunKeeper(std::move(look.followed), parent()));
      last_.clear();
    }
    if (look.state != last_) emit stateChanged(run_id_, last_ = look.state);
    if (!look.hand_over_error.empty())
      emit stateChanged(run_id_, QStringLiteral("cannot follow the run on the login node yet (retrying): %1")
                                     .arg(QString::fromStdString(look.hand_over_error)));
    if (!look.over) return;
    timer_.stop();
    round_->unfollow(job_);
    emit ended(run_id_, look.state);
    deleteLater();
  });
  watcher->setFuture(QtConcurrent::run(look_at_job, run_id_.toStdString(), run_dir_, job_, via_, cancelled_, round_, via_ && !handed_over_));
}

}  // namespace orrery::panels
