// The workbench window: assembles the panels as dock widgets around the live
// charts and wires their signals together. It holds no panel logic: what a
// panel does lives in panels/<name>/, what a job kind adds lives in its plugin.
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"

#include <QMainWindow>
#include <QMap>
#include <QStringList>

#include <memory>

class QDockWidget;
class QMenu;

namespace orrery::series {
class SeriesStore;
}

namespace orrery::panels {
class ChartsPanel;
class KindPanel;
class LaunchPanel;
class LogsPanel;
class ReportExporter;
class RunDataService;
class RunsPanel;
}  // namespace orrery::panels

namespace orrery::workbench {

class PluginRegistry;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  MainWindow(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent = nullptr);
  ~MainWindow() override;

  const runfiles::Project& project() const { return project_; }
  std::shared_ptr<series::SeriesStore> store() const { return store_; }
  panels::ChartsPanel* charts() const { return charts_; }
  panels::RunsPanel* runs() const { return runs_; }
  panels::LaunchPanel* launcher() const { return launch_; }
  panels::LogsPanel* logs() const { return logs_; }
  panels::RunDataService* data() const { return data_; }
  PluginRegistry& plugins() const { return *plugins_; }

 public slots:
  // Shows these runs everywhere: charts overlay them, the data service loads and follows
  // them, the logs follow the first, kind panels show those of their kind.
  void showRuns(const QStringList& runIds, const QStringList& runLabels = {});
  // Asks where to write a report of these runs (.html or .pdf) and writes it off the UI
  // thread; the status bar says when it is done or why it failed.
  void exportReport(const QStringList& runIds);

 signals:
  // The kind panels have been given the current selection (after its kinds were read off the UI thread).
  void kindPanelsUpdated();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  QDockWidget* addDock(QWidget* panel, const QString& title, const QString& objectName, Qt::DockWidgetArea area);
  void buildMenus();
  void showKindPanels(const QMap<QString, QStringList>& runsByKind);
  void showAbout();

  runfiles::Project project_;
  launch::InstallPaths paths_;
  std::shared_ptr<series::SeriesStore> store_;
  std::unique_ptr<PluginRegistry> plugins_;
  panels::RunDataService* data_ = nullptr;
  panels::ChartsPanel* charts_ = nullptr;
  panels::RunsPanel* runs_ = nullptr;
  panels::LaunchPanel* launch_ = nullptr;
  panels::LogsPanel* logs_ = nullptr;
  panels::ReportExporter* reports_ = nullptr;
  QDockWidget* launchDock_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  QMap<QString, panels::KindPanel*> kindPanels_;    // kind → its plugin's panel, created on first use
  quint64 selectionRequest_ = 0;
};

}  // namespace orrery::workbench
