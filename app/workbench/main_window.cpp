#include "workbench/main_window.hpp"

namespace orrery::workbench {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) { setWindowTitle("Orrery"); }

}  // namespace orrery::workbench
