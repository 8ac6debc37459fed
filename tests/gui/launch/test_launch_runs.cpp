// Launching from the form for real: the Launch button starts runs through
// launch_local (real agent, real mpirun ranks), run.json records exactly what
// was entered, a 2x2 sweep makes 4 runs that respect the concurrency limit,
// pending launches can be cancelled, and setFromRun fills the form back.

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "launch/launch_panel.hpp"
#include "run_testing.hpp"
#include "runfiles/project.hpp"

using orrery::panels::LaunchPanel;
using orrery::runfiles::RunStatus;
using nlohmann::json;
namespace fs = std::filesystem;

class TestLaunchRuns : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  orrery::runfiles::Project project_;
  orrery::launch::InstallPaths paths_;

  template <class W>
  static W* field(LaunchPanel& panel, const QString& name) {
    auto* w = panel.findChild<W*>(name);
    if (!w) qFatal("no widget %s", qPrintable(name));
    return w;
  }
  static void select_kind(LaunchPanel& panel, const QString& kind) {
    QVERIFY(QTest::qWaitFor([&] { return panel.kindsLoaded(); }, 10'000));
    auto* combo = field<QComboBox>(panel, QStringLiteral("kind"));
    combo->setCurrentIndex(combo->findData(kind));
    QCOMPARE(combo->currentData().toString(), kind);
  }
  // A small 2-rank allreduce-bench: a second or two on an oversubscribed box.
  static void fill_small_allreduce(LaunchPanel& panel) {
    select_kind(panel, QStringLiteral("allreduce-bench"));
    field<QSpinBox>(panel, QStringLiteral("ranks"))->setValue(2);
    field<QLineEdit>(panel, QStringLiteral("value:min_bytes"))->setText(QStringLiteral("8"));
    field<QLineEdit>(panel, QStringLiteral("value:max_bytes"))->setText(QStringLiteral("1024"));
    field<QLineEdit>(panel, QStringLiteral("value:iterations"))->setText(QStringLiteral("5"));
    field<QLineEdit>(panel, QStringLiteral("value:large_iterations"))->setText(QStringLiteral("2"));
    field<QLineEdit>(panel, QStringLiteral("value:warmup"))->setText(QStringLiteral("1"));
  }
  json record_spec(const QString& id) {
    auto record = orrery::testing::read_record(project_, id.toStdString());
    return record ? record->spec : json();
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    project_ = orrery::runfiles::open_project(fs::path(dir_.path().toStdString()), true);
    paths_ = orrery::testing::install_paths_from_env();
  }

  void allreduceRunRecordsTheEnteredValuesAndRoundTrips() {
    orrery::testing::RunGuard guard(project_);
    LaunchPanel panel(project_, paths_);
    fill_small_allreduce(panel);
    field<QLineEdit>(panel, QStringLiteral("name"))->setText(QStringLiteral("form-ar"));
    field<QLineEdit>(panel, QStringLiteral("tags"))->setText(QStringLiteral("gui, lr=3e-4"));
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    QVERIFY(field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
    QTest::mouseClick(field<QPushButton>(panel, QStringLiteral("launch")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(launched.count() + failed.count(), 1, 60'000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.front().front().toString()));
    const QString id = launched.front().front().toString();
    guard.add(id);

    const json expected = {{"kind", "allreduce-bench"}, {"name", "form-ar"}, {"target", "local"}, {"ranks", 2},
                           {"tags", {"gui", "lr=3e-4"}},
                           {"params", {{"min_bytes", 8}, {"max_bytes", 1024}, {"iterations", 5},
                                       {"large_iterations", 2}, {"warmup", 1}}}};
    QCOMPARE(QString::fromStdString(record_spec(id).dump()), QString::fromStdString(expected.dump()));
    QCOMPARE(orrery::testing::wait_final(project_, id.toStdString()), std::optional(RunStatus::Succeeded));
    QVERIFY(field<QLabel>(panel, QStringLiteral("launchStatus"))->text().contains(QStringLiteral("1 of 1 launched")));

    // Duplicate as new launch: a fresh form filled from run.json plans the same spec.
    LaunchPanel copy(project_, paths_);
    QSignalSpy filled(&copy, &LaunchPanel::formFilledFromRun);
    copy.setFromRun(id);   // before the kinds are loaded: it waits for them
    QVERIFY(filled.wait(10'000));
    QCOMPARE(copy.plannedRuns(), 1);
    QCOMPARE(QString::fromStdString(copy.plannedSpec(0).dump()), QString::fromStdString(expected.dump()));
    QCOMPARE(field<QLineEdit>(copy, QStringLiteral("tags"))->text(), QStringLiteral("gui, lr=3e-4"));
  }

  void commandRunSplitsItsArgumentsWithoutAShell() {
    orrery::testing::RunGuard guard(project_);
    LaunchPanel panel(project_, paths_);
    select_kind(panel, QStringLiteral("command"));
    field<QSpinBox>(panel, QStringLiteral("ranks"))->setValue(1);
    field<QLineEdit>(panel, QStringLiteral("value:argv"))
        ->setText(QStringLiteral("/usr/bin/python3 -c 'import sys; print(\"hi there\", sys.argv[1:])' \"$HOME\" a\\ b"));
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    panel.launch();
    QTRY_COMPARE_WITH_TIMEOUT(launched.count() + failed.count(), 1, 60'000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.front().front().toString()));
    const QString id = launched.front().front().toString();
    guard.add(id);
    QCOMPARE(QString::fromStdString(record_spec(id)["params"].dump()),
             QString::fromStdString(json{{"argv", {"/usr/bin/python3", "-c", "import sys; print(\"hi there\", sys.argv[1:])",
                                                   "$HOME", "a b"}}}.dump()));
    QCOMPARE(orrery::testing::wait_final(project_, id.toStdString()), std::optional(RunStatus::Succeeded));
    // No shell ran: $HOME reached the program literally.
    std::ifstream log(orrery::runfiles::run_path(project_, id.toStdString()) / "logs" / "rank-0.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    QVERIFY2(text.find("hi there ['$HOME', 'a b']") != std::string::npos, text.c_str());
  }

  void sweepTwoByTwoMakesFourRunsTwoAtATime() {
    orrery::testing::RunGuard guard(project_);
    LaunchPanel panel(project_, paths_);
    fill_small_allreduce(panel);
    field<QLineEdit>(panel, QStringLiteral("name"))->setText(QStringLiteral("sweep"));
    field<QCheckBox>(panel, QStringLiteral("sweep:iterations"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:iterations"))->setText(QStringLiteral("2, 4"));
    field<QCheckBox>(panel, QStringLiteral("sweep:max_bytes"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:max_bytes"))->setText(QStringLiteral("256:512:256"));
    field<QSpinBox>(panel, QStringLiteral("concurrency"))->setValue(2);
    QCOMPARE(panel.plannedRuns(), 4);
    QCOMPARE(field<QLabel>(panel, QStringLiteral("runCount"))->text(), QStringLiteral("4 runs (sweep)"));

    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    QSignalSpy finished(&panel, &LaunchPanel::launchesFinished);
    panel.launch();
    QVERIFY(!field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());   // busy until all are launched
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120'000);
    for (const auto& args : launched) guard.add(args.front().toString());
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.front().front().toString()));
    QCOMPARE(launched.count(), 4);
    QVERIFY(field<QLabel>(panel, QStringLiteral("launchStatus"))->text().contains(QStringLiteral("4 of 4 launched")));

    std::set<std::pair<int, int>> combos;
    std::vector<orrery::runfiles::RunRecord> records;
    for (const auto& args : launched) {
      const std::string id = args.front().toString().toStdString();
      QCOMPARE(orrery::testing::wait_final(project_, id), std::optional(RunStatus::Succeeded));
      auto record = *orrery::testing::read_record(project_, id);
      combos.insert({record.spec["params"]["iterations"].get<int>(), record.spec["params"]["max_bytes"].get<int>()});
      records.push_back(record);
    }
    QCOMPARE(combos, (std::set<std::pair<int, int>>{{2, 256}, {2, 512}, {4, 256}, {4, 512}}));
    // The limit held: when each run was created, at most one other run of the sweep was still going.
    for (const auto& r : records) {
      int others_alive = 0;
      for (const auto& o : records)
        if (o.id != r.id && o.created <= r.created && (o.ended == 0 || o.ended > r.created)) ++others_alive;
      QVERIFY2(others_alive <= 1, qPrintable(QString::fromStdString(r.id)));
    }
  }

  void pendingLaunchesCanBeCancelled() {
    orrery::testing::RunGuard guard(project_);
    LaunchPanel panel(project_, paths_);
    fill_small_allreduce(panel);
    field<QCheckBox>(panel, QStringLiteral("sweep:warmup"))->setChecked(true);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:warmup"))->setText(QStringLiteral("0:3"));
    field<QSpinBox>(panel, QStringLiteral("concurrency"))->setValue(1);
    QCOMPARE(panel.plannedRuns(), 4);
    const auto runs_before = orrery::runfiles::list_run_ids(project_).size();
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy finished(&panel, &LaunchPanel::launchesFinished);
    panel.launch();
    QVERIFY(field<QPushButton>(panel, QStringLiteral("cancel"))->isEnabled());
    QTest::mouseClick(field<QPushButton>(panel, QStringLiteral("cancel")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60'000);
    for (const auto& args : launched) guard.add(args.front().toString());
    QCOMPARE(launched.count(), 1);   // the one already in flight completes; the other three never start
    QVERIFY(field<QLabel>(panel, QStringLiteral("launchStatus"))->text().contains(QStringLiteral("3 cancelled")));
    QVERIFY(field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
    QCOMPARE(orrery::runfiles::list_run_ids(project_).size(), runs_before + 1);
  }
};

QTEST_MAIN(TestLaunchRuns)
#include "test_launch_runs.moc"
