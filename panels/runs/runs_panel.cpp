#include "runs/runs_panel.hpp"

#include "runs/annotations_dialog.hpp"
#include "runs/runs_model.hpp"
#include "runs/slurm_runs_access.hpp"

#include "feed/feed_client.hpp"
#include "launch/local_launcher.hpp"
#include "runfiles/annotations.hpp"
#include "runfiles/trash.hpp"

#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QFileSystemWatcher>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSortFilterProxyModel>
#include <QTimer>
#include <QTreeView>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace orrery::panels {

namespace {

constexpr int kLiveRefreshMs = 500;
constexpr int kFullRefreshMs = 5000;   // a safety net: file system events can be missed
constexpr int kAskSlurmMs = 2000;      // squeue/scontrol, perhaps over ssh: not as often as run.json

struct ScanResult {
  std::vector<RunRow> rows;
  bool full = false;
};

// What a round with Slurm hands back: the runs read again afterwards, and what went wrong.
struct SlurmRound {
  std::vector<RunRow> rows;
  QStringList done, problems;
};

QStringList to_qt(const std::vector<std::string>& lines) {
  QStringList out;
  for (const auto& l : lines) out << QString::fromStdString(l);
  return out;
}

// Runs fn on the thread pool and hands its result to done on the UI thread, unless
// `owner` is gone by then (the watcher is its child).
template <class Fn, class Done>
void run_off_ui(QObject* owner, Fn fn, Done done) {
  using Result = decltype(fn());
  auto* watcher = new QFutureWatcher<Result>(owner);
  QObject::connect(watcher, &QFutureWatcherBase::finished, owner, [watcher, done] {
    done(watcher->result());
    watcher->deleteLater();
  });
  watcher->setFuture(QtConcurrent::run(std::move(fn)));
}

std::vector<std::string> to_std(const QStringList& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(id.toStdString());
  return out;
}

}  // namespace

RunsPanel::RunsPanel(const runfiles::Project& project, QWidget* parent)
    : QWidget(parent),
      project_(project),
      model_(new RunsModel(this)),
      proxy_(new QSortFilterProxyModel(this)),
      slurm_(std::make_shared<SlurmRunsAccess>(project)) {
  proxy_->setSourceModel(model_);
  proxy_->setRecursiveFilteringEnabled(true);
  proxy_->setFilterKeyColumn(-1);   // any column: name, id, kind, status, tags, notes
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  proxy_->setSortRole(RunsModel::SortRole);

  filter_ = new QLineEdit(this);
  filter_->setPlaceholderText(tr("Filter runs (name, id, kind, status, tag, note)"));
  filter_->setClearButtonEnabled(true);
  connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);

  view_ = new QTreeView(this);
  view_->setModel(proxy_);
  view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  view_->setSortingEnabled(true);
  view_->sortByColumn(RunsModel::Start, Qt::DescendingOrder);
  view_->setContextMenuPolicy(Qt::CustomContextMenu);
  view_->setUniformRowHeights(true);
  view_->header()->setSectionResizeMode(QHeaderView::Interactive);
  connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPanel::emitSelection);
  connect(view_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    const auto ids = selectedRunIds();
    if (ids.isEmpty()) return;
    auto* menu = createContextMenu(ids, this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(view_->viewport()->mapToGlobal(at));
  });
  connect(proxy_, &QAbstractItemModel::rowsInserted, view_, [this] { view_->expandAll(); });

  message_ = new QLabel(this);
  message_->setObjectName(QStringLiteral("runs.message"));
  message_->setWordWrap(true);
  message_->hide();

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(filter_);
  layout->addWidget(view_);
  layout->addWidget(message_);

  watcher_ = new QFileSystemWatcher(this);
  connect(watcher_, &QFileSystemWatcher::directoryChanged, this, [this] {
    watchFolders();
    startScan(true);
  });
  watchFolders();
  live_refresh_ = new QTimer(this);
  connect(live_refresh_, &QTimer::timeout, this, [this] {
    if (!model_->live_run_ids().empty()) startScan(false);
  });
  live_refresh_->start(kLiveRefreshMs);
  full_refresh_ = new QTimer(this);
  connect(full_refresh_, &QTimer::timeout, this, [this] { startScan(true); });
  full_refresh_->start(kFullRefreshMs);
  clock_ = new QTimer(this);
  connect(clock_, &QTimer::timeout, model_, &RunsModel::tick);
  clock_->start(1000);
  slurm_refresh_ = new QTimer(this);
  connect(slurm_refresh_, &QTimer::timeout, this, &RunsPanel::askSlurm);
  slurm_refresh_->start(kAskSlurmMs);

  confirmer_ = [this](const QString& question) {
    return QMessageBox::question(this, tr("Runs"), question) == QMessageBox::Yes;
  };
  startScan(true);
}

RunsPanel::~RunsPanel() = default;

// ---------------------------------------------------------------------------
// reading the runs
// ---------------------------------------------------------------------------
void RunsPanel::refreshNow() { startScan(true); }

void RunsPanel::watchFolders() {
  // runs/ may not exist yet: watch the project folder until it does.
  for (const auto& dir : {project_.root, project_.runs_dir()}) {
    const auto path = QString::fromStdString(dir.string());
    if (std::filesystem::is_directory(dir) && !watcher_->directories().contains(path)) watcher_->addPath(path);
  }
}

void RunsPanel::startScan(bool full) {
  if (scanning_) {
    queued_scan_ = queued_scan_.value_or(false) || full;
    return;
  }
  scanning_ = true;
  std::optional<std::vector<std::string>> only;
  if (!full) only = model_->live_run_ids();
  run_off_ui(
      this, [project = project_, only, full] { return ScanResult{scan_runs(project, only), full}; },
      [this](const ScanResult& result) {
        scanning_ = false;
        applyScan(result.rows, result.full);
        if (queued_scan_) {
          const bool next_full = *queued_scan_;
          queued_scan_.reset();
          startScan(next_full);
        }
      });
}

void RunsPanel::askSlurm() {
  if (asking_slurm_) return;
  std::vector<std::string> ids;
  for (auto& id : model_->unsettled_slurm_run_ids())
    if (!slurm_->forgotten(id)) ids.push_back(std::move(id));
  if (ids.empty()) return;
  asking_slurm_ = true;
  run_off_ui(
      this,
      [slurm = slurm_, project = project_, ids] {
        SlurmRound round;
        round.problems = to_qt(slurm->refresh(ids));
        round.rows = scan_runs(project, ids);
        return round;
      },
      [this](const SlurmRound& round) {
        asking_slurm_ = false;
        // A problem stays shown until a round goes through; other messages are left alone.
        if (!round.problems.isEmpty() || showing_slurm_problem_) showMessage(round.problems.join('\n'));
        showing_slurm_problem_ = !round.problems.isEmpty();
        applyScan(round.rows, false);
      });
}

void RunsPanel::applyScan(const std::vector<RunRow>& rows, bool full) {
  const auto before = selectedRunIds();
  model_->apply(rows, full);
  if (selectedRunIds() != before) emitSelection();
  emit scanned();
}

// ---------------------------------------------------------------------------
// selection
// ---------------------------------------------------------------------------
QStringList RunsPanel::selectedRunIds() const {
  QStringList ids;
  for (const auto& index : view_->selectionModel()->selectedRows(0)) {
    for (const auto& id : model_->run_ids(proxy_->mapToSource(index)))
      if (!ids.contains(id)) ids << id;
  }
  return ids;
}

void RunsPanel::selectRuns(const QStringList& runIds) {
  QItemSelection selection;
  for (int e = 0; e < model_->rowCount(); ++e) {
    const auto experiment = model_->index(e, 0);
    for (int r = 0; r < model_->rowCount(experiment); ++r) {
      const auto index = model_->index(r, 0, experiment);
      if (!runIds.contains(index.data(RunsModel::RunIdRole).toString())) continue;
      const auto shown = proxy_->mapFromSource(index);
      if (shown.isValid()) selection.select(shown, shown);
    }
  }
  view_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunsPanel::emitSelection() {
  const auto ids = selectedRunIds();
  QStringList labels;
  for (const auto& id : ids) {
    const RunRow* row = model_->row(id.toStdString());
    labels << (row ? RunsModel::label(*row) : id);
  }
  emit selectionChanged(ids, labels);
}

// ---------------------------------------------------------------------------
// actions
// ---------------------------------------------------------------------------
QMenu* RunsPanel::createContextMenu(const QStringList& runIds, QWidget* parent) {
  auto* menu = new QMenu(parent);
  const bool one = runIds.size() == 1;
  bool any_live = false;
  for (const auto& id : runIds)
    if (const RunRow* row = model_->row(id.toStdString()); row && !runfiles::is_final(row->status)) any_live = true;
  menu->addAction(tr("Cancel"), this, [this, runIds] { cancelRuns(runIds); })->setEnabled(any_live);
  bool any_slurm_job = false;
  for (const auto& id : runIds)
    if (const RunRow* row = model_->row(id.toStdString()); row && !row->slurm_job.empty() && !row->slurm_ended) any_slurm_job = true;
  if (any_slurm_job) menu->addAction(tr("Cancel Slurm job..."), this, [this, runIds] { cancelSlurmJobs(runIds); });
  menu->addAction(tr("Duplicate as new launch"), this, [this, runIds] { emit duplicateRequested(runIds.front()); })
      ->setEnabled(one);
  menu->addAction(tr("Edit tags and notes..."), this, [this, runIds] { editAnnotations(runIds.front()); })
      ->setEnabled(one);
  menu->addAction(tr("Export report..."), this, [this, runIds] { emit reportRequested(runIds); })
      ->setEnabled(!runIds.isEmpty());
  menu->addSeparator();
  menu->addAction(tr("Browse checkpoints"), this, [this, runIds] { emit checkpointsRequested(runIds.front()); })
      ->setEnabled(one);
  menu->addAction(tr("Open folder"), this, [this, runIds] { openRunFolder(runIds.front()); })->setEnabled(one);
  menu->addAction(tr("Copy run id"), this, [this, runIds] { copyRunIds(runIds); });
  menu->addSeparator();
  menu->addAction(tr("Delete..."), this, [this, runIds] { deleteRuns(runIds); });
  return menu;
}

void RunsPanel::setConfirmer(std::function<bool(const QString&)> confirmer) { confirmer_ = std::move(confirmer); }

void RunsPanel::showMessage(const QString& message) {
  message_->setText(message);
  message_->setVisible(!message.isEmpty());
}

void RunsPanel::cancelRuns(const QStringList& runIds) {
  run_off_ui(
      this,
      [project = project_, ids = to_std(runIds)] {
        QStringList problems;
        for (const auto& id : ids) {
          try {
            const auto record = runfiles::read_run_record(runfiles::run_path(project, id));
            if (runfiles::is_final(launch::observed_status(record))) continue;
            if (!feed::control_request(record, {{"cmd", "cancel"}}))
              problems << QString("run %1: its agent did not answer").arg(QString::fromStdString(id));
          } catch (const std::exception& e) {
            problems << QString::fromStdString(e.what());
          }
        }
        return problems;
      },
      [this](const QStringList& problems) {
        if (!problems.isEmpty()) {
          showMessage(problems.join('\n'));
          emit actionFailed(problems.join('\n'));
        }
        startScan(false);
      });
}

void RunsPanel::cancelSlurmJobs(const QStringList& runIds) {
  QStringList ids, jobs;
  for (const auto& id : runIds) {
    const RunRow* row = model_->row(id.toStdString());
    if (!row || row->slurm_job.empty() || row->slurm_ended) continue;
    ids << id;
    jobs << tr("job %1 (run %2)").arg(QString::fromStdString(row->slurm_job), id);
  }
  if (ids.isEmpty()) return showMessage(tr("none of these runs has a Slurm job that has not ended"));
  if (!confirmer_ || !confirmer_(tr("Cancel Slurm %1 with scancel?").arg(jobs.join(", ")))) return;
  showMessage(tr("cancelling Slurm %1...").arg(jobs.join(", ")));
  showing_slurm_problem_ = false;
  run_off_ui(
      this,
      [slurm = slurm_, project = project_, ids = to_std(ids)] {
        SlurmRound round;
        for (const auto& id : ids) {
          try {
            round.done << QString::fromStdString(slurm->cancel(id));
          } catch (const std::exception& e) {
            round.problems << QString::fromStdString(e.what());
          }
        }
        round.rows = scan_runs(project, ids);
        return round;
      },
      [this](const SlurmRound& round) {
        showMessage((round.done + round.problems).join('\n'));
        if (!round.problems.isEmpty()) emit actionFailed(round.problems.join('\n'));
        if (!round.done.isEmpty()) emit slurmJobsCancelled(round.done.join('\n'));
        applyScan(round.rows, false);
      });
}

void RunsPanel::deleteRuns(const QStringList& runIds) {
  if (runIds.isEmpty()) return;
  const QString question = runIds.size() == 1
                               ? tr("Move run %1 to the project's trash folder?").arg(runIds.front())
                               : tr("Move %1 runs to the project's trash folder?").arg(runIds.size());
  if (!confirmer_ || !confirmer_(question)) return;
  struct Outcome {
    QStringList moved, problems;
  };
  run_off_ui(
      this,
      [project = project_, ids = to_std(runIds)] {
        Outcome out;
        for (const auto& id : ids) {
          try {
            const auto record = runfiles::read_run_record(runfiles::run_path(project, id));
            if (!runfiles::is_final(launch::observed_status(record))) {
              out.problems << QString("run %1 is still live: cancel it first").arg(QString::fromStdString(id));
              continue;
            }
            runfiles::move_run_to_trash(project, id);
            out.moved << QString::fromStdString(id);
          } catch (const std::exception& e) {
            out.problems << QString::fromStdString(e.what());
          }
        }
        return out;
      },
      [this](const Outcome& out) {
        showMessage(out.problems.join('\n'));
        if (!out.problems.isEmpty()) emit actionFailed(out.problems.join('\n'));
        if (!out.moved.isEmpty()) emit runsDeleted(out.moved);
        startScan(true);
      });
}

void RunsPanel::copyRunIds(const QStringList& runIds) { QApplication::clipboard()->setText(runIds.join('\n')); }

void RunsPanel::openRunFolder(const QString& runId) {
  try {
    const auto dir = runfiles::run_path(project_, runId.toStdString());
    QDesktopServices::openUrl(QUrl::fromLocalFile(QString::fromStdString(dir.string())));
  } catch (const std::exception& e) {
    showMessage(QString::fromStdString(e.what()));
  }
}

void RunsPanel::setAnnotations(const QString& runId, const QStringList& tags, const QString& notes) {
  runfiles::Annotations a;
  for (const auto& tag : tags)
    if (!tag.trimmed().isEmpty()) a.tags.push_back(tag.trimmed().toStdString());
  a.notes = notes.toStdString();
  run_off_ui(
      this,
      [project = project_, id = runId.toStdString(), a] {
        try {
          runfiles::write_annotations(project, id, a);
          return QString();
        } catch (const std::exception& e) {
          return QString::fromStdString(e.what());
        }
      },
      [this, runId](const QString& problem) {
        showMessage(problem);
        if (!problem.isEmpty()) emit actionFailed(problem);
        startScan(true);
      });
}

void RunsPanel::editAnnotations(const QString& runId) {
  const RunRow* row = model_->row(runId.toStdString());
  if (!row) return;
  // Only the user's own tags are editable: run.json's tags belong to the spec.
  QStringList tags;
  for (const auto& t : row->user_tags) tags << QString::fromStdString(t);
  AnnotationsDialog dialog(RunsModel::label(*row), tags, QString::fromStdString(row->notes), this);
  if (dialog.exec() == QDialog::Accepted) setAnnotations(runId, dialog.tags(), dialog.notes());
}

}  // namespace orrery::panels
