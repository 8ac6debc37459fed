#include "workbench/workbench_app.hpp"

#include "workbench/main_window.hpp"

#include "runs/runs_panel.hpp"

#include <QApplication>
#include <QIcon>

#include <memory>

namespace orrery::workbench {

void set_application_identity() {
  QCoreApplication::setOrganizationName(QStringLiteral("Orrery"));
  QCoreApplication::setApplicationName(QStringLiteral("Orrery"));
  QCoreApplication::setApplicationVersion(QStringLiteral(ORRERY_VERSION));
}

int run_workbench(int& argc, char** argv, const runfiles::Project& project, const launch::InstallPaths& paths,
                  const QStringList& runsToShow) {
  set_application_identity();
  QApplication app(argc, argv);
  QApplication::setWindowIcon(QIcon(QString::fromStdString((paths.share_dir / "icons" / "orrery.svg").string())));
  MainWindow window(project, paths);
  window.show();
  if (!runsToShow.isEmpty()) {
    window.showRuns(runsToShow);
    // Also select them in the runs browser once its first scan has listed them.
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = QObject::connect(window.runs(), &panels::RunsPanel::scanned, &window, [&window, runsToShow, once] {
      window.runs()->selectRuns(runsToShow);
      QObject::disconnect(*once);
    });
  }
  return QApplication::exec();
}

}  // namespace orrery::workbench
