#include "workbench/main_window.hpp"

#include "workbench/plugin_registry.hpp"

#include "charts/charts_panel.hpp"
#include "charts/report_exporter.hpp"
#include "checkpoints/checkpoint_browser.hpp"
#include "cluster/cluster_panel.hpp"
#include "compare/compare_panel.hpp"
#include "common/job_kind_plugin.hpp"
#include "common/run_data_service.hpp"
#include "launch/launch_panel.hpp"
#include "logs/logs_panel.hpp"
#include "runfiles/run_record.hpp"
#include "runs/runs_panel.hpp"
#include "series/series_store.hpp"
#include "timeline/timeline_panel.hpp"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QSettings>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

namespace orrery::workbench {

namespace {

// Settings are per project folder, so each project reopens with its own layout.
QString settingsGroup(const runfiles::Project& project) {
  return QStringLiteral("projects/") + QString::fromStdString(project.root.string()).toUtf8().toHex();
}

// run id → kind, read from run.json on a worker thread; unreadable runs are left out.
QMap<QString, QStringList> readKinds(const runfiles::Project& project, const QStringList& runIds) {
  QMap<QString, QStringList> byKind;
  for (const QString& id : runIds) {
    try {
      const auto record = runfiles::read_run_record(runfiles::run_path(project, id.toStdString()));
      byKind[QString::fromStdString(record.kind)].append(id);
    } catch (const std::exception&) {
      // A run being deleted or a damaged run.json: the runs browser shows why; no kind panel needed.
    }
  }
  return byKind;
}

}  // namespace

MainWindow::MainWindow(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent)
    : QMainWindow(parent),
      project_(project),
      paths_(paths),
      store_(std::make_shared<series::SeriesStore>()),
      plugins_(std::make_unique<PluginRegistry>(PluginRegistry::defaultFolder(paths.bin_dir))) {
  setWindowTitle(tr("Orrery — %1").arg(QString::fromStdString(project.root.filename().string())));
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);

  data_ = new panels::RunDataService(project_, store_, this);
  charts_ = new panels::ChartsPanel(store_, this);
  setCentralWidget(charts_);
  runs_ = new panels::RunsPanel(project_, this);
  launch_ = new panels::LaunchPanel(project_, paths_, this);
  logs_ = new panels::LogsPanel(project_, this);

  QDockWidget* runsDock = addDock(runs_, tr("Runs"), "dock.runs", Qt::LeftDockWidgetArea);
  launchDock_ = addDock(launch_, tr("Launch"), "dock.launch", Qt::LeftDockWidgetArea);
  tabifyDockWidget(runsDock, launchDock_);
  runsDock->raise();
  QDockWidget* logsDock = addDock(logs_, tr("Logs"), "dock.logs", Qt::BottomDockWidgetArea);
  // The rank timeline follows the first selected run, like the logs, in a tab beside them.
  auto* timeline = new panels::TimelinePanel(project_, this);
  tabifyDockWidget(logsDock, addDock(timeline, tr("Timeline"), "dock.timeline", Qt::BottomDockWidgetArea));
  logsDock->raise();
  connect(runs_, &panels::RunsPanel::selectionChanged, timeline,
          [timeline](const QStringList& runIds) { timeline->setRun(runIds.isEmpty() ? QString() : runIds.front()); });

  connect(runs_, &panels::RunsPanel::selectionChanged, this, &MainWindow::showRuns);
  connect(data_, &panels::RunDataService::dataArrived, charts_, [this](const QStringList&) { charts_->refresh(); });
  connect(launch_, &panels::LaunchPanel::runLaunched, runs_, [this](const QString& runId) {
    runs_->refreshNow();
    statusBar()->showMessage(tr("Launched %1").arg(runId), 5000);
  });
  connect(launch_, &panels::LaunchPanel::launchFailed, this,
          [this](const QString& message) { statusBar()->showMessage(tr("Launch failed: %1").arg(message)); });
  connect(runs_, &panels::RunsPanel::duplicateRequested, this, [this](const QString& runId) {
    launch_->setFromRun(runId);
    launchDock_->show();
    launchDock_->raise();
  });

  // The checkpoint browser opens a run from the runs browser's menu; "resume" fills the launch form.
  auto* checkpoints = new panels::CheckpointBrowser(project_, this);
  QDockWidget* checkpointsDock = addDock(checkpoints, tr("Checkpoints"), "dock.checkpoints", Qt::RightDockWidgetArea);
  checkpointsDock->hide();
  connect(runs_, &panels::RunsPanel::checkpointsRequested, this, [checkpoints, checkpointsDock](const QString& runId) {
    checkpoints->openRun(runId);
    checkpointsDock->show();
    checkpointsDock->raise();
  });
  connect(checkpoints, &panels::CheckpointBrowser::resumeRequested, this,
          [this](const QString& runId, const QString& checkpoint, int ranks) {
            launch_->resumeFromCheckpoint(runId, checkpoint, ranks);
            launchDock_->show();
            launchDock_->raise();
          });

  // Run comparison: "Compare selected" takes the runs browser's selection; "Overlay curves"
  // shows the compared runs everywhere, as a selection would.
  auto* compare = new panels::ComparePanel(project_, this);
  QDockWidget* compareDock = addDock(compare, tr("Compare"), "dock.compare", Qt::BottomDockWidgetArea);
  tabifyDockWidget(logsDock, compareDock);
  logsDock->raise();
  connect(compare, &panels::ComparePanel::compareSelectedRequested, compare,
          [this, compare] { compare->compareRuns(runs_->selectedRunIds()); });
  connect(compare, &panels::ComparePanel::overlayRequested, this, &MainWindow::showRuns);

  // Cluster targets (orrery.json): state, Test connection, Slurm partitions and queue. Hidden at
  // first; its background refresh runs only while it is visible.
  auto* cluster = new panels::ClusterPanel(project_, paths_, this);
  addDock(cluster, tr("Cluster"), "dock.cluster", Qt::RightDockWidgetArea)->hide();

  reports_ = new panels::ReportExporter(project_, this);
  connect(runs_, &panels::RunsPanel::reportRequested, this, &MainWindow::exportReport);
  connect(reports_, &panels::ReportExporter::finished, this, [this](bool ok, const QString& message) {
    statusBar()->showMessage(ok ? message : tr("Report failed: %1").arg(message));
  });

  buildMenus();
  statusBar()->showMessage(tr("Project %1").arg(QString::fromStdString(project_.root.string())));

  QSettings settings;
  settings.beginGroup(settingsGroup(project_));
  restoreGeometry(settings.value("geometry").toByteArray());
  restoreState(settings.value("state").toByteArray());
  settings.endGroup();
}

MainWindow::~MainWindow() = default;

QDockWidget* MainWindow::addDock(QWidget* panel, const QString& title, const QString& objectName,
                                 Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(objectName);   // restoreState() finds docks by name
  dock->setWidget(panel);
  addDockWidget(area, dock);
  return dock;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open project…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open an Orrery project"));
    // A project per window keeps every panel's state simple: another project opens in its own process.
    if (!dir.isEmpty()) QProcess::startDetached(QApplication::applicationFilePath(), {"gui", dir});
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
  viewMenu_ = view;

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About Orrery"), this, &MainWindow::showAbout);
}

void MainWindow::exportReport(const QStringList& runIds) {
  if (reports_->busy()) {
    statusBar()->showMessage(tr("A report is still being written"), 5000);
    return;
  }
  const QString file = QFileDialog::getSaveFileName(this, tr("Export report"), QStringLiteral("report.html"),
                                                    tr("HTML (*.html);;PDF (*.pdf)"));
  if (file.isEmpty()) return;
  panels::ReportRequest request;
  for (const QString& id : runIds) request.runs.push_back(id.toStdString());
  (file.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive) ? request.pdf_file : request.html_file) = file;
  reports_->start(request);
  statusBar()->showMessage(tr("Writing the report of %n run(s)...", nullptr, static_cast<int>(runIds.size())));
}

void MainWindow::showRuns(const QStringList& runIds, const QStringList& runLabels) {
  charts_->setRuns(runIds, runLabels.isEmpty() ? runIds : runLabels);
  data_->watchRuns(runIds);
  logs_->setRun(runIds.isEmpty() ? QString() : runIds.front());

  const quint64 request = ++selectionRequest_;
  auto* watcher = new QFutureWatcher<QMap<QString, QStringList>>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, request] {
    if (request == selectionRequest_) showKindPanels(watcher->result());
    watcher->deleteLater();
  });
  const runfiles::Project project = project_;
  watcher->setFuture(QtConcurrent::run([project, runIds] { return readKinds(project, runIds); }));
}

void MainWindow::showKindPanels(const QMap<QString, QStringList>& runsByKind) {
  for (auto it = runsByKind.begin(); it != runsByKind.end(); ++it) {
    if (kindPanels_.contains(it.key())) continue;
    panels::JobKindPlugin* plugin = plugins_->pluginForKind(it.key());
    if (!plugin) continue;
    panels::KindPanel* panel = plugin->createPanel(project_, this);
    kindPanels_.insert(it.key(), panel);
    QDockWidget* dock = addDock(panel, plugin->panelTitle(), "dock.kind." + it.key(), Qt::RightDockWidgetArea);
    viewMenu_->addAction(dock->toggleViewAction());
  }
  for (auto it = kindPanels_.begin(); it != kindPanels_.end(); ++it) it.value()->showRuns(runsByKind.value(it.key()));
  emit kindPanelsUpdated();
}

void MainWindow::showAbout() {
  QString text = tr("<h3>Orrery %1</h3><p>Project: %2</p><p>Job-kind plugins (%3):</p><ul>")
                     .arg(QStringLiteral(ORRERY_VERSION), QString::fromStdString(project_.root.string()).toHtmlEscaped(),
                          PluginRegistry::defaultFolder(paths_.bin_dir).toHtmlEscaped());
  for (const PluginInfo& info : plugins_->plugins()) {
    text += tr("<li><b>%1</b> %2 for <i>%3</i>: %4 — %5</li>")
                .arg(info.title.toHtmlEscaped(), info.version.toHtmlEscaped(), info.kind.toHtmlEscaped(),
                     info.description.toHtmlEscaped(),
                     info.error.isEmpty() ? (info.loaded ? tr("loaded") : tr("not loaded yet"))
                                          : info.error.toHtmlEscaped());
  }
  text += "</ul>";
  QMessageBox::about(this, tr("About Orrery"), text);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  // Closing the window only stops watching: runs belong to their agents and go on.
  QSettings settings;
  settings.beginGroup(settingsGroup(project_));
  settings.setValue("geometry", saveGeometry());
  settings.setValue("state", saveState());
  settings.endGroup();
  QMainWindow::closeEvent(event);
}

}  // namespace orrery::workbench
