// The runs browser: every run of the project, grouped by experiment, updated live
// (a QFileSystemWatcher on runs/ for runs that appear or go, and run.json of live
// runs re-read every 500 ms, always off the UI thread), with a filter box,
// multi-select and the run actions of its context menu. Runs submitted to Slurm show their
// job and its state (Slurm column), asked of Slurm every 2 s off the UI thread (on this machine
// or over ssh through the target's login node) until the job has ended and the run has its
// verdict; "Cancel Slurm job..." runs scancel the same way, after a confirmation.
#pragma once

#include "runfiles/project.hpp"

#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QFileSystemWatcher;
class QLabel;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QTimer;
class QTreeView;

namespace orrery::panels {

class RunsModel;
class SlurmRunsAccess;
struct RunRow;

class RunsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunsPanel(const runfiles::Project& project, QWidget* parent = nullptr);
  ~RunsPanel() override;

  RunsModel* model() const { return model_; }
  QSortFilterProxyModel* proxy() const { return proxy_; }
  QTreeView* view() const { return view_; }
  QLineEdit* filterBox() const { return filter_; }

  QStringList selectedRunIds() const;
  void selectRuns(const QStringList& runIds);

  // The context menu's actions, also for the main window's menus and shortcuts.
  // Each does its I/O off the UI thread; failures arrive as actionFailed.
  void cancelRuns(const QStringList& runIds);
  // scancel of the selected runs' Slurm jobs that have not ended, after the confirmer says yes;
  // the outcome (Slurm's state after it) in the message line and slurmJobsCancelled.
  void cancelSlurmJobs(const QStringList& runIds);
  // Asks the confirmer first; refuses runs that are not final (their agent still writes).
  void deleteRuns(const QStringList& runIds);
  void copyRunIds(const QStringList& runIds);
  void openRunFolder(const QString& runId);
  void setAnnotations(const QString& runId, const QStringList& tags, const QString& notes);
  void editAnnotations(const QString& runId);   // a dialog, then setAnnotations
  // The menu the view shows for these runs (built fresh each time).
  QMenu* createContextMenu(const QStringList& runIds, QWidget* parent);
  // Replaces the delete and Slurm-cancel confirmations (a message box by default); tests and scripted use.
  void setConfirmer(std::function<bool(const QString& question)> confirmer);

 public slots:
  // Re-reads every run now (the view also refreshes by itself).
  void refreshNow();

 signals:
  // The selected runs (an experiment row stands for its runs), with their legend labels.
  void selectionChanged(QStringList runIds, QStringList runLabels);
  void duplicateRequested(QString runId);
  // "Export report…" on these runs: the main window asks for a file and writes it.
  void reportRequested(QStringList runIds);
  // "Browse checkpoints": the main window opens the run in the checkpoint browser.
  void checkpointsRequested(QString runId);
  void runsDeleted(QStringList runIds);       // moved to <project>/trash
  void actionFailed(QString message);         // also shown in the panel's message line
  void slurmJobsCancelled(QString outcome);   // "scancel 12 done for run X: job 12 CANCELLED", a line per job
  void scanned();                             // a refresh has reached the model

 private:
  void startScan(bool full);
  void applyScan(const std::vector<RunRow>& rows, bool full);
  void askSlurm();
  void watchFolders();
  void showMessage(const QString& message);
  void emitSelection();

  runfiles::Project project_;
  RunsModel* model_ = nullptr;
  QSortFilterProxyModel* proxy_ = nullptr;
  QTreeView* view_ = nullptr;
  QLineEdit* filter_ = nullptr;
  QLabel* message_ = nullptr;
  QFileSystemWatcher* watcher_ = nullptr;
  QTimer* live_refresh_ = nullptr;
  QTimer* full_refresh_ = nullptr;
  QTimer* clock_ = nullptr;
  QTimer* slurm_refresh_ = nullptr;
  std::shared_ptr<SlurmRunsAccess> slurm_;   // shared with the pool threads that ask Slurm
  bool asking_slurm_ = false;
  bool showing_slurm_problem_ = false;
  bool scanning_ = false;
  std::optional<bool> queued_scan_;   // a scan asked for while one ran (true = full)
  std::function<bool(const QString&)> confirmer_;
};

}  // namespace orrery::panels
