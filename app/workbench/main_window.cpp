#include "workbench/main_window.hpp"

namespace orrery::workbench {

MainWindow::MainWindow(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent)
    : QMainWindow(parent), project_(project), paths_(paths) {
  setWindowTitle("Orrery");
}

void MainWindow::showRuns(const QStringList&, const QStringList&) {}

}  // namespace orrery::workbench
