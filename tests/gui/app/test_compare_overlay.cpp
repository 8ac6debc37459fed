// The comparison panel inside the workbench: "Compare selected" takes the runs browser's
// selection, and "Overlay curves" puts the checked runs' series in the live charts
// (loaded by the run data service from their run.h5).
#include "run_testing.hpp"

#include "charts/charts_panel.hpp"
#include "charts/metric_chart.hpp"
#include "common/run_data_service.hpp"
#include "compare/compare_panel.hpp"
#include "runs/runs_model.hpp"
#include "runs/runs_panel.hpp"
#include "series/series_store.hpp"
#include "workbench/main_window.hpp"
#include "workbench/workbench_app.hpp"

#include <QDockWidget>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

using orrery::testing::TestProject;
using orrery::workbench::MainWindow;
namespace panels = orrery::panels;

class CompareOverlayTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    qputenv("XDG_CONFIG_HOME", QDir::temp().filePath("orrery-test-config-" + QString::number(QCoreApplication::applicationPid())).toUtf8());
    orrery::workbench::set_application_identity();
  }

  void selectedRunsCompareAndOverlayInTheCharts() {
    TestProject env;
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
      orrery::testing::FinishedRun run;
      run.name = "lr-" + std::to_string(i);
      run.ranks = 1;
      run.points = 50;
      run.spec = {{"kind", "command"}, {"name", run.name}, {"ranks", 1}, {"params", {{"lr", 0.1 * (i + 1)}}}};
      run.value = [i](int, int step) { return (i + 1.0) / (1 + step); };
      ids << QString::fromStdString(orrery::testing::write_finished_run(env.project(), run));
    }

    MainWindow window(env.project(), env.paths());
    window.resize(1400, 900);
    window.show();
    auto* compare = window.findChild<panels::ComparePanel*>();
    QVERIFY(compare);
    QVERIFY(window.findChild<QDockWidget*>("dock.compare"));
    QVERIFY(QTest::qWaitFor([&] { return window.runs()->model()->rowCount() > 0; }, 20000));

    window.runs()->selectRuns({ids[0], ids[2]});
    QCOMPARE(window.runs()->selectedRunIds().size(), 2);
    QSignalSpy loaded(compare, &panels::ComparePanel::runsLoaded);
    compare->compareSelectedButton()->click();
    QVERIFY(loaded.wait(20000));
    QCOMPARE(compare->runs().size(), std::size_t{2});
    QCOMPARE(QString::fromStdString(compare->runs()[0].id), ids[0]);
    QCOMPARE(QString::fromStdString(compare->runs()[1].id), ids[2]);
    QCOMPARE(compare->runs()[1].metrics.at("loss").values.front(), 3.0);

    // Overlay the checked runs: the charts show exactly those, with the service's data.
    window.runs()->selectRuns({ids[1]});   // the charts show something else first
    QVERIFY(QTest::qWaitFor([&] { return window.data()->watchedRuns() == QStringList{ids[1]}; }, 5000));
    compare->overlayButton()->click();
    QCOMPARE(window.data()->watchedRuns(), (QStringList{ids[0], ids[2]}));
    QVERIFY(QTest::qWaitFor([&] {
      auto* chart = window.charts()->chart("loss");
      return chart && chart->runs().size() == 2 &&
             orrery::testing::store_metric_points(*window.store(), ids[0].toStdString()) == 50 &&
             orrery::testing::store_metric_points(*window.store(), ids[2].toStdString()) == 50;
    }, 20000));
    const auto& runs = window.charts()->chart("loss")->runs();
    QCOMPARE(QString::fromStdString(runs[0].run_id), ids[0]);
    QCOMPARE(runs[0].label, QString("lr-0"));
    QCOMPARE(QString::fromStdString(runs[1].run_id), ids[2]);
    QCOMPARE(runs[1].label, QString("lr-2"));
  }
};

QTEST_MAIN(CompareOverlayTest)
#include "test_compare_overlay.moc"
