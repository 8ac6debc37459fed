// The run comparison panel: runs handed to it (the runs browser's selection, through
// "Compare selected") are loaded off the UI thread (QtConcurrent, one pool task per run,
// with a progress bar and a cancel button) and shown as a sortable table of their
// parameters (only the differing ones unless "All parameters") and the chosen metric's
// final / best / at-step-k values, a parallel-coordinates chart of the parameters against
// the chosen summary, and a scatter of any parameter against any metric. A checklist keeps
// runs out without reloading. "Overlay curves" asks (overlayRequested) for the checked
// runs' curves in the live charts. A run that cannot be read shows its error in the table.
#pragma once

#include "runfiles/project.hpp"

#include <QFutureWatcher>
#include <QStringList>
#include <QWidget>

#ifndef Q_MOC_RUN
#include "compare/compared_run.hpp"
#include <atomic>
#include <memory>
#include <vector>
#endif

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTabWidget;

namespace orrery::panels {

class CompareTableModel;
class ParallelCoordinatesView;
class ScatterView;

class ComparePanel : public QWidget {
  Q_OBJECT
 public:
  explicit ComparePanel(const runfiles::Project& project, QWidget* parent = nullptr);
  ~ComparePanel() override;   // cancels loading and waits for the pool tasks (each at most one series read)

  bool loading() const;
  // Every run handed over, in the order given (loaded, failed or cancelled).
  const std::vector<compare::ComparedRun>& runs() const { return runs_; }
  // The checked runs, in the order given: what the table and charts show.
  std::vector<const compare::ComparedRun*> shownRuns() const;

  // The widgets, for the main window's shortcuts and the widget tests.
  QPushButton* compareSelectedButton() const { return compareSelected_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPushButton* overlayButton() const { return overlay_; }
  QProgressBar* progressBar() const { return progress_; }
  QListWidget* runList() const { return runList_; }
  QCheckBox* allParametersBox() const { return allParams_; }
  QComboBox* metricBox() const { return metric_; }
  QComboBox* chartSummaryBox() const { return chartSummary_; }   // Final, Best, At step: what the charts plot
  QComboBox* bestRuleBox() const { return bestRule_; }           // by name, lower, higher
  QSpinBox* stepBox() const { return step_; }
  QComboBox* scatterParameterBox() const { return scatterX_; }
  QComboBox* scatterMetricBox() const { return scatterY_; }
  QTableView* table() const { return table_; }
  CompareTableModel* model() const { return model_; }
  ParallelCoordinatesView* parallelView() const { return parallel_; }
  ScatterView* scatterView() const { return scatter_; }
  QTabWidget* chartTabs() const { return tabs_; }
  QLabel* messageLabel() const { return message_; }

 public slots:
  // Loads these runs (ids of the project), replacing the comparison; a load in flight is cancelled.
  void compareRuns(const QStringList& runIds);
  void cancelLoading();

 signals:
  // "Compare selected": the main window answers with compareRuns(the runs browser's selection).
  void compareSelectedRequested();
  // "Overlay curves": the checked runs that loaded, with their names as labels.
  void overlayRequested(QStringList runIds, QStringList runLabels);
  // A load ended (finished or cancelled) and the views show its runs.
  void runsLoaded();

 private:
  void buildUi();
  void loadFinished();
  void fillChoices();
  void refreshViews();
  compare::SummaryChoice chartChoice() const;

  runfiles::Project project_;
  std::vector<compare::ComparedRun> runs_;
  QStringList loadingIds_;
  std::vector<std::optional<compare::ComparedRun>> arrived_;
  QFutureWatcher<compare::ComparedRun>* watcher_ = nullptr;
  std::shared_ptr<std::atomic<bool>> cancelFlag_;
  bool filling_ = false;   // choices being refilled: their change signals must not refresh twice

  QPushButton* compareSelected_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* overlay_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* message_ = nullptr;
  QListWidget* runList_ = nullptr;
  QCheckBox* allParams_ = nullptr;
  QComboBox* metric_ = nullptr;
  QComboBox* chartSummary_ = nullptr;
  QComboBox* bestRule_ = nullptr;
  QSpinBox* step_ = nullptr;
  QComboBox* scatterX_ = nullptr;
  QComboBox* scatterY_ = nullptr;
  QTableView* table_ = nullptr;
  CompareTableModel* model_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  ParallelCoordinatesView* parallel_ = nullptr;
  ScatterView* scatter_ = nullptr;
};

}  // namespace orrery::panels
