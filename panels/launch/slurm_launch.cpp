#include "launch/slurm_launch.hpp"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFutureWatcher>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <exception>
#include <filesystem>
#include <map>

#include "cluster/host_key_prompt.hpp"
#include "launch/slurm_job_keeper.hpp"
#include "remote/slurm_launcher.hpp"
#include "remote/slurm_round.hpp"
#include "remote/ssh_connection.hpp"
#include "remote/target_check.hpp"

namespace orrery::panels {

namespace {

// What a Slurm step on a pool thread hands back: the batch (prepared or submitted), the via
// connection it was prepared through, a via host key to ask about, or why it failed.
struct SlurmStep {
  std::shared_ptr<remote::SlurmBatch> batch;
  std::shared_ptr<remote::SshConnection> via;
  remote::SshTarget unknown_host;
  std::vector<remote::ScannedHostKey> unknown_keys;
  bool unknown_host_key = false;
  std::string error;
};

// The round the keepers of a project's Slurm target share, whichever launch submitted their jobs
// (two sweeps on one target followed at once: still one squeue per second). Held by the keepers,
// found here while one of them lives; the login node's address is part of the key, so a target
// edited to go elsewhere gets its own. A round started less than 0.9 of a tick ago is fresh: keepers
// whose timers are not in step still share one round per tick. UI thread only.
std::shared_ptr<remote::SlurmRound> round_for(const RemoteLaunchRequest& request, const std::shared_ptr<remote::SshConnection>& via) {
  static std::map<std::string, std::weak_ptr<remote::SlurmRound>> rounds;
  std::erase_if(rounds, [](const auto& entry) { return entry.second.expired(); });   // targets nobody follows now
  auto& slot = rounds[request.project.root.string() + "\n" + request.target.name + "\n" + (via ? via->describe() : "")];
  if (auto round = slot.lock()) return round;
  auto round = std::make_shared<remote::SlurmRound>(via, std::chrono::milliseconds(SlurmJobKeeper::kAskSlurmMs * 9 / 10));
  slot = round;
  return round;
}

// The ssh target a Slurm target is reached through, from the project's orrery.json.
remote::Target via_target(const RemoteLaunchRequest& request) {
  const auto via = remote::find_target(remote::parse_targets(request.project.settings, nullptr), request.target.slurm.via);
  if (!via || via->type != remote::TargetType::Ssh)
    throw std::runtime_error("the ssh target \"" + request.target.slurm.via + "\" it is reached through is not usable");
  return *via;
}

}  // namespace

SlurmLaunch::SlurmLaunch(RemoteLaunchRequest request, QWidget* dialog_parent)
    : QObject(dialog_parent),
      request_(std::move(request)),
      dialog_parent_(dialog_parent) {}

SlurmLaunch::~SlurmLaunch() = default;

void SlurmLaunch::start() { prepare({}); }

void SlurmLaunch::prepare(std::vector<remote::ScannedHostKey> trusted) {
  running_ = true;
  const bool through_ssh = !request_.target.slurm.via.empty();
  emit progress(through_ssh ? tr("connecting to %1 (the login node of %2)...")
                                  .arg(QString::fromStdString(request_.target.slurm.via), QString::fromStdString(request_.target.name))
                            : tr("writing the sbatch script for %1...").arg(QString::fromStdString(request_.target.name)));
  auto* watcher = new QFutureWatcher<SlurmStep>(this);
  connect(watcher, &QFutureWatcher<SlurmStep>::finished, this, [this, watcher] {
    SlurmStep step = watcher->result();
    watcher->deleteLater();
    if (step.unknown_host_key) return ask_about_host_key(std::move(step.unknown_host), std::move(step.unknown_keys));
    if (!step.error.empty()) {
      running_ = false;
      return emit failed(QString::fromStdString(step.error));
    }
    batch_ = std::move(step.batch);
    via_ = std::move(step.via);
    show_script();
  });
  watcher->setFuture(QtConcurrent::run([request = request_, cancelled = cancelled_, trusted = std::move(trusted)] {
    SlurmStep step;
    try {
      if (!request.target.slurm.via.empty()) {
        const auto login = via_target(request);
        if (!trusted.empty()) remote::trust_host_keys(login.ssh, trusted);
        remote::SshOptions options;
        options.cancelled = cancelled.get();
        step.via = std::make_shared<remote::SshConnection>(login.ssh, options);
        try {
          step.via->open();
        } catch (const remote::UnknownHostKeyError&) {
          step.via.reset();
          step.unknown_host = login.ssh;
          step.unknown_keys = remote::scan_host_keys(login.ssh);
          step.unknown_host_key = true;
          return step;
        }
      }
      step.batch = std::make_shared<remote::SlurmBatch>(
          remote::prepare_slurm(request.project, request.kind, request.specs, request.paths, request.target, step.via.get()));
    } catch (const std::exception& e) {
      step.error = "launch on " + request.target.name + " failed: " + e.what();
    }
    return step;
  }));
}

void SlurmLaunch::ask_about_host_key(remote::SshTarget host, std::vector<remote::ScannedHostKey> offered) {
  remote::TargetCheck check;
  check.target = request_.target.slurm.via;
  check.outcome = remote::TargetCheck::Outcome::UnknownHostKey;
  check.unknown_host = host;
  check.offered_keys = offered;
  QMessageBox* box = askToTrustHostKey(dialog_parent_, check);
  connect(box, &QMessageBox::finished, this, [this, box, host, offered = std::move(offered)] {
    if (box->clickedButton() == box->button(QMessageBox::Yes) && !offered.empty()) return prepare(offered);
    running_ = false;
    emit failed(tr("not submitted: the host key of %1 (target %2, the login node of %3) was not trusted")
                    .arg(QString::fromStdString(host.host), QString::fromStdString(request_.target.slurm.via),
                         QString::fromStdString(request_.target.name)));
  });
  box->open();
  emit hostKeyAsked(box);
}

void SlurmLaunch::show_script() {
  auto* dialog = new QDialog(dialog_parent_);
  dialog->setObjectName(QStringLiteral("launch.sbatchScript"));
  dialog->setWindowTitle(tr("Submit to %1?").arg(QString::fromStdString(request_.target.name)));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  auto* column = new QVBoxLayout(dialog);
  QString args;
  for (const auto& a : batch_->sbatch_args) args += ' ' + QString::fromStdString(a);
  const auto runs = static_cast<int>(batch_->run_ids.size());
  auto* what = new QLabel(runs > 1 ? tr("sbatch%1 will run this script as one job array of %2 runs, one task per run of the "
                                        "sweep (kept in each run's folder as job.sh):")
                                         .arg(args)
                                         .arg(runs)
                                   : tr("sbatch%1 will run this script (kept in the run's folder as job.sh):").arg(args),
                          dialog);
  what->setWordWrap(true);
  column->addWidget(what);
  auto* text = new QPlainTextEdit(QString::fromStdString(batch_->script), dialog);
  text->setObjectName(QStringLiteral("launch.sbatchScript.text"));
  text->setReadOnly(true);
  text->setLineWrapMode(QPlainTextEdit::NoWrap);
  text->setMinimumSize(560, 320);
  column->addWidget(text);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Submit"));
  buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
  column->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
  connect(dialog, &QDialog::finished, this, [this](int result) {
    if (result == QDialog::Accepted) return submit();
    drop_prepared();
  });
  dialog->open();
  emit scriptShown(dialog);
}

void SlurmLaunch::drop_prepared() {
  running_ = false;
  // Nothing was submitted: the folder made for the run holds only its run.json and job.sh
  // (through via, the job's folder on the login node too; the connection closes there as well).
  (void)QtConcurrent::run([dirs = batch_->run_dirs, remote_dirs = batch_->job_run_dirs, via = std::exchange(via_, {})] {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    if (!via) return;
    std::vector<std::string> argv{"rm", "-rf", "--"};
    argv.insert(argv.end(), remote_dirs.begin(), remote_dirs.end());
    try {
      via->run(argv);
    } catch (const std::exception&) {
      // Best effort: a stale prepared folder on the login node holds no job.
    }
  });
  emit failed(tr("not submitted: cancelled at the sbatch script"));
}

void SlurmLaunch::submit() {
  emit progress(tr("submitting to %1...").arg(QString::fromStdString(request_.target.name)));
  auto* watcher = new QFutureWatcher<SlurmStep>(this);
  connect(watcher, &QFutureWatcher<SlurmStep>::finished, this, [this, watcher] {
    SlurmStep step = watcher->result();
    watcher->deleteLater();
    running_ = false;
    if (!step.error.empty()) return emit failed(QString::fromStdString(step.error));
    // One keeper per run (an array's task i is job_of(i)); through via they share the one
    // connection, and all the target's keepers one round of Slurm questions.
    const auto via = std::exchange(via_, {});
    const auto& batch = *step.batch;
    const auto round = round_for(request_, via);
    for (std::size_t i = 0; i < batch.run_ids.size(); ++i) {
      const QString id = QString::fromStdString(batch.run_ids[i]);
      auto* keeper = new SlurmJobKeeper(id, batch.run_dirs[i], batch.job_of(i), round,
                                        dialog_parent_ ? dialog_parent_.data() : parent(), via, cancelled_);
      emit submitted(id, QString::fromStdString(batch.job_of(i)), keeper);
    }
    emit allSubmitted(static_cast<int>(batch.run_ids.size()));
  });
  watcher->setFuture(QtConcurrent::run([batch = batch_, via = via_, name = request_.target.name] {
    SlurmStep step;
    try {
      remote::submit_slurm(*batch, remote::SlurmCommands(via.get()));
      step.batch = batch;
    } catch (const std::exception& e) {
      step.error = "submission to " + name + " failed: " + e.what();
    }
    return step;
  }));
}

}  // namespace orrery::panels
