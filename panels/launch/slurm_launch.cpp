#include "launch/slurm_launch.hpp"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFutureWatcher>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>
#include <filesystem>

#include "launch/slurm_job_keeper.hpp"
#include "remote/slurm_launcher.hpp"

namespace orrery::panels {

namespace {

// What a Slurm step on a pool thread hands back: the batch (prepared or submitted) or why it failed.
struct SlurmStep {
  std::shared_ptr<remote::SlurmBatch> batch;
  std::string error;
};

}  // namespace

SlurmLaunch::SlurmLaunch(RemoteLaunchRequest request, QWidget* dialog_parent)
    : QObject(dialog_parent),
      request_(std::move(request)),
      dialog_parent_(dialog_parent) {}

SlurmLaunch::~SlurmLaunch() = default;

void SlurmLaunch::start() {
  running_ = true;
  if (!request_.target.slurm.via.empty()) {
    running_ = false;
    emit failed(tr("Slurm target %1 is reached through the ssh target %2: not launched from the form yet; use orrery run --target %1")
                    .arg(QString::fromStdString(request_.target.name), QString::fromStdString(request_.target.slurm.via)));
    return;
  }
  emit progress(tr("writing the sbatch script for %1...").arg(QString::fromStdString(request_.target.name)));
  auto* watcher = new QFutureWatcher<SlurmStep>(this);
  connect(watcher, &QFutureWatcher<SlurmStep>::finished, this, [this, watcher] {
    SlurmStep step = watcher->result();
    watcher->deleteLater();
    if (!step.error.empty()) {
      running_ = false;
      return emit failed(QString::fromStdString(step.error));
    }
    batch_ = std::move(step.batch);
    show_script();
  });
  watcher->setFuture(QtConcurrent::run([request = request_] {
    SlurmStep step;
    try {
      step.batch = std::make_shared<remote::SlurmBatch>(remote::prepare_slurm(request.project, request.kind, {request.spec}, request.paths, request.target));
    } catch (const std::exception& e) {
      step.error = "launch on " + request.target.name + " failed: " + e.what();
    }
    return step;
  }));
}

void SlurmLaunch::show_script() {
  auto* dialog = new QDialog(dialog_parent_);
  dialog->setObjectName(QStringLiteral("launch.sbatchScript"));
  dialog->setWindowTitle(tr("Submit to %1?").arg(QString::fromStdString(request_.target.name)));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  auto* column = new QVBoxLayout(dialog);
  QString args;
  for (const auto& a : batch_->sbatch_args) args += ' ' + QString::fromStdString(a);
  auto* what = new QLabel(tr("sbatch%1 will run this script (kept in the run's folder as job.sh):").arg(args), dialog);
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
  // Nothing was submitted: the folder made for the run holds only its run.json and job.sh.
  (void)QtConcurrent::run([dirs = batch_->run_dirs] {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
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
    const QString id = QString::fromStdString(step.batch->run_ids.front());
    auto* keeper = new SlurmJobKeeper(id, step.batch->run_dirs.front(), dialog_parent_ ? dialog_parent_.data() : parent());
    emit submitted(id, QString::fromStdString(step.batch->job_id), keeper);
  });
  watcher->setFuture(QtConcurrent::run([batch = batch_, name = request_.target.name] {
    SlurmStep step;
    try {
      remote::submit_slurm(*batch, remote::SlurmCommands());
      step.batch = batch;
    } catch (const std::exception& e) {
      step.error = "submission to " + name + " failed: " + e.what();
    }
    return step;
  }));
}

}  // namespace orrery::panels
