// The workbench window: assembles the panels as dock widgets and wires their
// signals together. It holds no panel logic of its own.
// (Interim: the panels are being written; the full assembly lands with them.)
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"

#include <QMainWindow>
#include <QStringList>

namespace orrery::workbench {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  MainWindow(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent = nullptr);
 public slots:
  void showRuns(const QStringList& runIds, const QStringList& runLabels = {});
 private:
  runfiles::Project project_;
  launch::InstallPaths paths_;
};

}  // namespace orrery::workbench
