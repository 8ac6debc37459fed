// The logs panel following a real run: a `command` run (real agent, real
// mpirun rank) prints lines, then dies with a Python traceback on stderr. The
// panel shows the lines as the agent writes them, and "jump to first error"
// lands on the traceback.

#include <QPlainTextEdit>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>

#include <filesystem>

#include "launch/local_launcher.hpp"
#include "run_testing.hpp"
#include "logs/logs_panel.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_catalog.hpp"
#include "spec/spec.hpp"

using orrery::panels::LogsPanel;
namespace fs = std::filesystem;
using nlohmann::json;

class TestLogsRealRun : public QObject {
  Q_OBJECT

 private slots:
  void followsARunThatEndsInATraceback() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto project = orrery::runfiles::open_project(fs::path(dir.path().toStdString()), true);
    auto paths = orrery::testing::install_paths_from_env();
    auto catalog = orrery::spec::KindCatalog::load({paths.share_dir / "kinds"});
    const char* script =
        "import sys\n"
        "for i in range(5):\n"
        "    print('hello', i, flush=True)\n"
        "raise RuntimeError('boom')\n";
    auto v = orrery::spec::validate_spec(
        json{{"kind", "command"}, {"name", "logs-test"}, {"ranks", 1},
             {"params", {{"argv", {"/usr/bin/python3", "-u", "-c", script}}}}},
        catalog);
    QVERIFY2(v.ok(), v.ok() ? "" : orrery::spec::to_string(v.errors.front()).c_str());

    orrery::testing::RunGuard guard(project);
    auto launched = orrery::launch::launch_local(project, *catalog.find("command"), *v.spec, paths);
    guard.add(launched.run_id);

    LogsPanel panel(project);
    panel.show();
    panel.setRun(QString::fromStdString(launched.run_id));
    auto* view = panel.findChild<QPlainTextEdit*>(QStringLiteral("log"));
    QTRY_VERIFY_WITH_TIMEOUT(view->toPlainText().contains(QStringLiteral("RuntimeError: boom")), 60'000);
    const QString text = view->toPlainText();
    for (int i = 0; i < 5; ++i) QVERIFY2(text.contains(QStringLiteral("[0] hello %1").arg(i)), qPrintable(text));

    QVERIFY(panel.jumpToFirstError());
    const QString at = view->textCursor().block().text();
    QVERIFY2(at.contains(QStringLiteral("Traceback")), qPrintable(at));
    // Everything before the traceback is the run's ordinary output.
    for (QTextBlock b = view->document()->begin(); b != view->textCursor().block(); b = b.next())
      QVERIFY2(!b.text().contains(QStringLiteral("Error")), qPrintable(b.text()));

    auto status = orrery::testing::wait_final(project, launched.run_id);
    QCOMPARE(status, std::optional(orrery::runfiles::RunStatus::Failed));
  }
};

QTEST_MAIN(TestLogsRealRun)
#include "test_logs_real_run.moc"
