// The workbench window: assembles the panels as dock widgets and wires their
// signals together. It holds no panel logic of its own.
#pragma once

#include <QMainWindow>

namespace orrery::workbench {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace orrery::workbench
