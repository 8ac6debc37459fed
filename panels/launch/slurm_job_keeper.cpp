#include "launch/slurm_job_keeper.hpp"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "launch/local_launcher.hpp"
#include "remote/slurm_launcher.hpp"
#include "runfiles/run_record.hpp"

namespace orrery::panels {

namespace {

constexpr int kAskSlurmMs = 1000;

struct SlurmLook {
  QString state;   // what Slurm says, or why it could not be asked
  bool over = false;
};

SlurmLook look_at_job(const std::filesystem::path& run_dir) {
  SlurmLook look;
  try {
    auto state = remote::refresh_slurm_run(run_dir, remote::SlurmCommands());
    look.state = QString::fromStdString(state ? state->describe() : std::string("no longer known to Slurm"));
    const auto status = launch::observed_status(runfiles::read_run_record(run_dir));
    look.over = runfiles::is_final(status) && (!state || state->ended());
  } catch (const std::exception& e) {
    look.state = QString::fromStdString(std::string("cannot ask Slurm (retrying): ") + e.what());
  }
  return look;
}

}  // namespace

SlurmJobKeeper::SlurmJobKeeper(QString runId, std::filesystem::path runDir, QObject* parent)
    : QObject(parent), run_id_(std::move(runId)), run_dir_(std::move(runDir)) {
  timer_.setInterval(kAskSlurmMs);
  connect(&timer_, &QTimer::timeout, this, &SlurmJobKeeper::ask);
  timer_.start();
  ask();
}

void SlurmJobKeeper::ask() {
  if (asking_) return;
  asking_ = true;
  auto* watcher = new QFutureWatcher<SlurmLook>(this);
  connect(watcher, &QFutureWatcher<SlurmLook>::finished, this, [this, watcher] {
    const SlurmLook look = watcher->result();
    watcher->deleteLater();
    asking_ = false;
    if (look.state != last_) emit stateChanged(run_id_, last_ = look.state);
    if (!look.over) return;
    timer_.stop();
    emit ended(run_id_, look.state);
    deleteLater();
  });
  watcher->setFuture(QtConcurrent::run(look_at_job, run_dir_));
}

}  // namespace orrery::panels
