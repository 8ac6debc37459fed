// The checkpoint browser in the workbench: "Browse checkpoints" in the runs browser's
// menu opens a finished gpt-train run's newest checkpoint, and "resume from this
// checkpoint" on 3 ranks fills the launch form with the run's spec on 3 ranks and the
// checkpoint as its "resume" parameter (a kind without one keeps its spec, on 3 ranks).
#include "run_testing.hpp"
#include "../../unit/h5_write_test_support.hpp"

#include "checkpoints/checkpoint_browser.hpp"
#include "launch/launch_panel.hpp"
#include "runs/runs_panel.hpp"
#include "workbench/main_window.hpp"
#include "workbench/workbench_app.hpp"

#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QSignalSpy>
#include <QtTest>

#include <filesystem>

using orrery::testing::TestProject;
using orrery::workbench::MainWindow;
namespace panels = orrery::panels;

class CheckpointResumeTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    qputenv("XDG_CONFIG_HOME", QDir::temp().filePath("orrery-test-config-" + QString::number(QCoreApplication::applicationPid())).toUtf8());
    orrery::workbench::set_application_identity();
  }

  void resumeFromTheBrowserFillsTheLaunchForm_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("resumable");
    QTest::newRow("gpt-train") << "gpt-train" << true;
    QTest::newRow("command") << "command" << false;
  }

  void resumeFromTheBrowserFillsTheLaunchForm() {
    QFETCH(QString, kind);
    QFETCH(bool, resumable);
    TestProject env;
    orrery::testing::FinishedRun run;
    run.name = "to-resume";
    run.spec = {{"kind", kind.toStdString()}, {"name", "to-resume"}, {"ranks", 2}, {"target", "local"},
                {"tags", nlohmann::json::array()}, {"params", nlohmann::json::object()}};
    if (!resumable) run.spec["params"] = {{"argv", nlohmann::json::array({"/bin/true"})}};
    run.value = [](int, int step) { return 1.0 / (1 + step); };
    const QString id = QString::fromStdString(orrery::testing::write_finished_run(env.project(), run));
    const auto dir = orrery::runfiles::run_path(env.project(), id.toStdString()) / "checkpoints";
    std::filesystem::create_directories(dir);
    {
      orrery::h5_test::H5Writer w(dir / "step-0000020.h5");
      w.write("/model/wte", {4, 2}, std::vector<float>(8, 0.5f), H5T_NATIVE_FLOAT);
    }

    MainWindow window(env.project(), env.paths());
    window.show();
    auto* browser = window.findChild<panels::CheckpointBrowser*>();
    QVERIFY(browser);
    QVERIFY(QTest::qWaitFor([&] { return window.launcher()->kindsLoaded(); }, 20000));
    QSignalSpy scanned(browser, &panels::CheckpointBrowser::scanFinished);
    std::unique_ptr<QMenu> menu(window.runs()->createContextMenu({id}, nullptr));
    QAction* browse = nullptr;
    for (QAction* a : menu->actions())
      if (a->text() == "Browse checkpoints") browse = a;
    QVERIFY(browse && browse->isEnabled());
    browse->trigger();
    QVERIFY(scanned.wait(10000));
    QVERIFY(browser->currentFile().endsWith("step-0000020.h5"));
    QVERIFY(window.findChild<QDockWidget*>("dock.checkpoints")->isVisible());

    QSignalSpy filled(window.launcher(), &panels::LaunchPanel::formFilledFromRun);
    browser->setResumeRanks(3);
    browser->requestResume();
    QVERIFY(filled.wait(10000));
    QVERIFY(window.launcher()->isValid());
    const nlohmann::json spec = window.launcher()->plannedSpec(0);
    QCOMPARE(spec["ranks"].get<int>(), 3);
    QCOMPARE(spec["kind"].get<std::string>(), kind.toStdString());
    if (resumable)
      QCOMPARE(QString::fromStdString(spec["params"]["resume"].get<std::string>()), browser->currentFile());
    else
      QVERIFY(!spec["params"].contains("resume"));
  }
};

QTEST_MAIN(CheckpointResumeTest)
#include "test_checkpoint_resume.moc"
