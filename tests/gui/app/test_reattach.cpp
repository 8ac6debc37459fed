// Killing the workbench does not touch a live run, and a workbench started
// again re-attaches: history from run.h5, then the live feed, with no gap and
// no duplicate, so its store ends with exactly the points of run.h5.
//
// The workbench under test is a child process (this executable re-run with
// --child): a real MainWindow, offscreen, that prints its point count.
#include "run_testing.hpp"

#include "series/series_store.hpp"
#include "workbench/main_window.hpp"
#include "workbench/workbench_app.hpp"

#include <QApplication>
#include <QProcess>
#include <QTimer>
#include <QtTest>

#include <iostream>

using orrery::testing::TestProject;

namespace {

// Child: open the workbench on the project, show the run, print "points N" twice a second.
int runChild(int argc, char** argv) {
  const std::filesystem::path projectDir = argv[2];
  const QString runId = QString::fromUtf8(argv[3]);
  orrery::workbench::set_application_identity();
  QApplication app(argc, argv);
  orrery::launch::InstallPaths paths;
  paths.bin_dir = qEnvironmentVariable("ORRERY_BIN_DIR").toStdString();
  paths.share_dir = qEnvironmentVariable("ORRERY_SHARE_DIR").toStdString();
  orrery::workbench::MainWindow window(orrery::runfiles::open_project(projectDir, false), paths);
  window.show();
  window.showRuns({runId});
  QTimer report;
  QObject::connect(&report, &QTimer::timeout, [&] {
    std::cout << "points " << orrery::testing::store_metric_points(*window.store(), runId.toStdString()) << std::endl;
  });
  report.start(500);
  return QApplication::exec();
}

}  // namespace

class ReattachTest : public QObject {
  Q_OBJECT

 private:
  // Starts a child workbench; its last reported point count is kept in *points.
  std::unique_ptr<QProcess> startChild(const TestProject& env, const std::string& runId, std::size_t* points) {
    auto child = std::make_unique<QProcess>();
    child->setProgram(QCoreApplication::applicationFilePath());
    child->setArguments({"--child", QString::fromStdString(env.project().root.string()), QString::fromStdString(runId)});
    child->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcess* raw = child.get();
    connect(raw, &QProcess::readyReadStandardOutput, raw, [raw, points] {
      while (raw->canReadLine()) {
        const QByteArray line = raw->readLine().trimmed();
        if (line.startsWith("points ")) *points = line.mid(7).toULongLong();
      }
    });
    child->start();
    return child;
  }

 private slots:
  void killedWorkbenchLosesNothing() {
    TestProject env;
    // 2 ranks × 2 metrics × 160 steps at 20 steps/s: about 8 s of live data.
    const std::string run = env.launch(TestProject::slow_spec("reattach", 2, 160, 0.05));

    std::size_t firstPoints = 0;
    auto first = startChild(env, run, &firstPoints);
    QVERIFY(first->waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(firstPoints > 0, 20000);
    first->kill();                       // SIGKILL: no chance to clean up
    QVERIFY(first->waitForFinished(5000));
    QVERIFY(!orrery::runfiles::is_final(orrery::launch::observed_status(env.record(run))));

    std::size_t secondPoints = 0;
    auto second = startChild(env, run, &secondPoints);
    QVERIFY(second->waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(secondPoints > 0, 20000);
    QVERIFY2(!orrery::runfiles::is_final(orrery::launch::observed_status(env.record(run))),
             "the run ended before the second workbench attached: make it longer");

    QCOMPARE(env.wait_final(run), orrery::runfiles::RunStatus::Succeeded);
    const std::size_t expected = orrery::testing::file_metric_points(env.project(), run);
    QCOMPARE(expected, std::size_t{2 * 2 * 160});
    QTRY_COMPARE_WITH_TIMEOUT(secondPoints, expected, 15000);
    second->kill();
    second->waitForFinished(5000);
  }
};

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "--child") return runChild(argc, argv);
  QApplication app(argc, argv);
  ReattachTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_reattach.moc"
