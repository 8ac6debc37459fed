// The assembled workbench on real runs: two finished allreduce-bench runs are
// charted, the allreduce-bench plugin's panel is loaded from its library and
// filled, the layout is saved, and a screenshot of the window is kept.
#include "run_testing.hpp"

#include "series/series_store.hpp"
#include "charts/charts_panel.hpp"
#include "charts/metric_chart.hpp"
#include "workbench/main_window.hpp"
#include "workbench/plugin_registry.hpp"
#include "workbench/workbench_app.hpp"

#include <QApplication>
#include <QDockWidget>
#include <QImage>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

using orrery::testing::file_metric_points;
using orrery::testing::store_metric_points;
using orrery::testing::TestProject;
using orrery::workbench::MainWindow;

class WorkbenchTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    // Layout settings go to a throwaway location, never the user's.
    qputenv("XDG_CONFIG_HOME", QDir::temp().filePath("orrery-test-config-" + QString::number(QCoreApplication::applicationPid())).toUtf8());
    orrery::workbench::set_application_identity();
  }

  void pluginMetadataIsReadWithoutLoading() {
    TestProject env;
    orrery::workbench::PluginRegistry registry(orrery::workbench::PluginRegistry::defaultFolder(env.paths().bin_dir));
    const auto& plugins = registry.plugins();
    QCOMPARE(plugins.size(), 1);
    QCOMPARE(plugins.front().kind, QStringLiteral("allreduce-bench"));
    QVERIFY(!plugins.front().title.isEmpty());
    QVERIFY(!plugins.front().loaded);
    QVERIFY(registry.pluginForKind("allreduce-bench") != nullptr);
    QVERIFY(registry.plugins().front().loaded);
    QVERIFY(registry.pluginForKind("no-such-kind") == nullptr);
  }

  void twoRunsChartedWithTheKindPanel() {
    TestProject env;
    const std::string a = env.launch(TestProject::allreduce_spec("bw-small", 2, 65536));
    const std::string b = env.launch(TestProject::allreduce_spec("bw-large", 2, 1 << 20));
    QCOMPARE(env.wait_final(a), orrery::runfiles::RunStatus::Succeeded);
    QCOMPARE(env.wait_final(b), orrery::runfiles::RunStatus::Succeeded);

    MainWindow window(env.project(), env.paths());
    window.resize(1400, 900);
    window.show();
    QVERIFY(window.findChild<QDockWidget*>("dock.cluster"));   // the cluster panel's dock (hidden until opened)
    QSignalSpy kindPanels(&window, &MainWindow::kindPanelsUpdated);
    window.showRuns({QString::fromStdString(a), QString::fromStdString(b)});

    // Every metric point of both run files reaches the charts' store.
    QTRY_COMPARE_WITH_TIMEOUT(store_metric_points(*window.store(), a), file_metric_points(env.project(), a), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(store_metric_points(*window.store(), b), file_metric_points(env.project(), b), 20000);

    // The plugin's panel: one row per message size (8 B .. 1 MiB = 18 sizes), two columns per run.
    QTRY_VERIFY_WITH_TIMEOUT(kindPanels.count() >= 1, 10000);
    auto* dock = window.findChild<QDockWidget*>("dock.kind.allreduce-bench");
    QVERIFY(dock);
    auto* table = dock->findChild<QTableWidget*>();
    QVERIFY(table);
    QTRY_COMPARE_WITH_TIMEOUT(table->rowCount(), 18, 10000);
    QCOMPARE(table->columnCount(), 5);

    // The busbw chart overlays both runs: 14 + 18 message sizes drawn (rank mean). Then the screenshot.
    auto busbwDrawn = [&] {
      auto* chart = window.charts()->chart("busbw_GBps");
      return chart && chart->runs().size() == 2 ? chart->drawnPointCount() : 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(busbwDrawn() >= 14 + 18, 10000);
    const QImage shot = window.grab().toImage();
    QVERIFY(!shot.isNull());
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 4)
      for (int x = 0; x < shot.width(); x += 4) colours.insert(shot.pixel(x, y));
    QVERIFY2(colours.size() > 20, qPrintable(QString("only %1 colours: blank window?").arg(colours.size())));
    const QString artifacts = qEnvironmentVariable("ORRERY_TEST_ARTIFACTS", QDir::tempPath());
    QDir().mkpath(artifacts);
    QVERIFY(shot.save(artifacts + "/workbench-two-runs.png"));

    // Closing saves the dock layout for this project.
    window.close();
    QSettings settings;
    QVERIFY(!settings.allKeys().filter("state").isEmpty());
  }
};

QTEST_MAIN(WorkbenchTest)
#include "test_workbench.moc"
