// bench_startup PROJECT N: opens the workbench on PROJECT and prints, in ms
// since the process started (from /proc/self/stat, so dynamic loading counts):
//   first_paint  the main window's first paint event
//   listed       the runs browser's views hold at least N rows (every run listed)
// then quits. Run it offscreen (QT_QPA_PLATFORM=offscreen); run.sh takes the median of 10.
#include "workbench/main_window.hpp"
#include "workbench/workbench_app.hpp"

#include <QAbstractItemView>
#include <QApplication>
#include <QTimer>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace {

// Milliseconds since this process was started by the kernel.
double msSinceProcessStart() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) fields >> field;   // field 22: starttime, in clock ticks since boot
  const double startSeconds = std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return (static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9 - startSeconds) * 1e3;
}

int rowsUnder(const QAbstractItemModel* model, const QModelIndex& parent) {
  int rows = model->rowCount(parent);
  int total = rows;
  for (int r = 0; r < rows; ++r) total += rowsUnder(model, model->index(r, 0, parent));
  return total;
}

class FirstPaint : public QObject {
 public:
  bool eventFilter(QObject* watched, QEvent* event) override {
    if (event->type() == QEvent::Paint && firstPaint < 0) firstPaint = msSinceProcessStart();
    return QObject::eventFilter(watched, event);
  }
  double firstPaint = -1;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_startup PROJECT N\n";
    return 2;
  }
  const std::filesystem::path projectDir = argv[1];
  const int expectedRuns = std::stoi(argv[2]);
  orrery::workbench::set_application_identity();
  QApplication app(argc, argv);
  orrery::launch::InstallPaths paths = orrery::launch::InstallPaths::from_executable();
  orrery::workbench::MainWindow window(orrery::runfiles::open_project(projectDir, false), paths);
  FirstPaint paint;
  window.installEventFilter(&paint);
  window.resize(1400, 900);
  window.show();

  double listed = -1;
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, [&] {
    int rows = 0;
    for (auto* view : window.findChildren<QAbstractItemView*>())
      if (view->model() && view->isVisible()) rows = std::max(rows, rowsUnder(view->model(), {}));
    if (listed < 0 && rows >= expectedRuns) listed = msSinceProcessStart();
    if (paint.firstPaint >= 0 && listed >= 0) app.quit();
  });
  poll.start(1);
  QTimer::singleShot(30000, &app, [&] { app.exit(1); });
  const int code = QApplication::exec();
  std::cout << "first_paint_ms " << paint.firstPaint << " listed_ms " << listed << "\n";
  return code;
}
