// The runs browser (panels/runs) on a project with real runs: 2-rank `command` runs of
// tests/gui/common/ticker.py under the real agent and mpirun. It shows them running,
// then succeeded or failed; groups them by experiment; filters; refuses to delete a
// live run and moves a finished one to the trash; cancels; round-trips annotations.

#include "common/status_style.hpp"
#include "run_testing.hpp"
#include "runfiles/annotations.hpp"
#include "runs/runs_model.hpp"
#include "runs/runs_panel.hpp"

#include <QApplication>
#include <QClipboard>
#include <QLineEdit>
#include <QMenu>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>
#include <QTreeView>

#include <csignal>
#include <memory>

using orrery::panels::RunsModel;
using orrery::panels::RunsPanel;
namespace testing = orrery::testing;
namespace fs = std::filesystem;

class RunsBrowserTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void showsRunsRunningThenFinal();
  void groupsByExperiment();
  void filters();
  void selectionAndCopy();
  void deleteRefusesALiveRunAndMovesAFinishedOneToTheTrash();
  void cancels();
  void aVanishedAgentReadsLost();
  void annotationsRoundTrip();
  void cleanupTestCase();

 private:
  QModelIndex find(const std::string& run_id, int column) const;
  QString cell(const std::string& run_id, int column) const {
    auto i = find(run_id, column);
    return i.isValid() ? i.data().toString() : QString();
  }
  QString status(const std::string& run_id) const {
    auto i = find(run_id, RunsModel::Status);
    return i.isValid() ? i.data(RunsModel::StatusRole).toString() : QString();
  }

  std::unique_ptr<testing::TestProject> prj_;
  std::unique_ptr<RunsPanel> panel_;
  std::string ok_, failing_, long_;
};

QModelIndex RunsBrowserTest::find(const std::string& run_id, int column) const {
  auto* model = panel_->model();
  for (int e = 0; e < model->rowCount(); ++e) {
    const auto experiment = model->index(e, 0);
    for (int r = 0; r < model->rowCount(experiment); ++r) {
      const auto index = model->index(r, column, experiment);
      if (index.data(RunsModel::RunIdRole).toString().toStdString() == run_id) return index;
    }
  }
  return {};
}

void RunsBrowserTest::initTestCase() {
  prj_ = std::make_unique<testing::TestProject>();
  panel_ = std::make_unique<RunsPanel>(prj_->project());
  panel_->resize(1000, 400);
  panel_->show();
  ok_ = prj_->launch_ticker("sweep-lr0.1", 2, 400, 100);
  failing_ = prj_->launch_ticker("sweep-lr0.3", 2, 400, 100, /*fail_step=*/150);
  long_ = prj_->launch_ticker("soak", 2, 6000, 100, -1, {"experiment:endurance"});
}

void RunsBrowserTest::showsRunsRunningThenFinal() {
  QSignalSpy changed(panel_->model(), &QAbstractItemModel::dataChanged);
  QTRY_COMPARE_WITH_TIMEOUT(status(ok_), QString("running"), 20000);
  QTRY_VERIFY_WITH_TIMEOUT(!cell(ok_, RunsModel::Progress).isEmpty(), 20000);   // progress lines arrive live
  QVERIFY(!cell(ok_, RunsModel::Duration).isEmpty());
  QCOMPARE(cell(ok_, RunsModel::Kind), QString("command"));
  QCOMPARE(cell(ok_, RunsModel::Ranks), QString("2"));
  QTRY_COMPARE_WITH_TIMEOUT(status(ok_), QString("succeeded"), 60000);
  QTRY_COMPARE_WITH_TIMEOUT(status(failing_), QString("failed"), 60000);
  QVERIFY(changed.count() > 0);
  QCOMPARE(cell(ok_, RunsModel::Progress), QString("100 %"));
  const auto color = find(failing_, RunsModel::Status).data(Qt::ForegroundRole).value<QColor>();
  QCOMPARE(color, orrery::panels::status_color(orrery::runfiles::RunStatus::Failed));
  QVERIFY(!find(failing_, RunsModel::Status).data(Qt::DecorationRole).isNull());
  QVERIFY(!find(failing_, RunsModel::Status).data(Qt::ToolTipRole).toString().isEmpty());   // the reason
  QCOMPARE(status(long_), QString("running"));
}

void RunsBrowserTest::groupsByExperiment() {
  QCOMPARE(find(ok_, 0).parent().data().toString(), QString("sweep"));
  QCOMPARE(find(failing_, 0).parent().data().toString(), QString("sweep"));
  QCOMPARE(find(long_, 0).parent().data().toString(), QString("endurance"));
  QCOMPARE(panel_->model()->rowCount(), 2);
  QCOMPARE(orrery::panels::experiment_of("plain", {}), std::string("plain"));
  QCOMPARE(orrery::panels::experiment_of("a_b-c", {}), std::string("a_b"));
  QCOMPARE(orrery::panels::experiment_of("-x", {}), std::string("-x"));
}

void RunsBrowserTest::filters() {
  auto* proxy = panel_->proxy();
  panel_->filterBox()->setText("LR0.3");   // case-insensitive, matches a run below its experiment
  QCOMPARE(proxy->rowCount(), 1);
  const auto experiment = proxy->index(0, 0);
  QCOMPARE(experiment.data().toString(), QString("sweep"));
  QCOMPARE(proxy->rowCount(experiment), 1);
  QCOMPARE(proxy->index(0, RunsModel::Id, experiment).data().toString(), QString::fromStdString(failing_));
  panel_->filterBox()->setText("failed");   // the status column too
  QCOMPARE(proxy->rowCount(), 1);
  panel_->filterBox()->setText("no such run");
  QCOMPARE(proxy->rowCount(), 0);
  panel_->filterBox()->clear();
  QCOMPARE(proxy->rowCount(), 2);
}

void RunsBrowserTest::selectionAndCopy() {
  QSignalSpy selected(panel_.get(), &RunsPanel::selectionChanged);
  const QStringList both{QString::fromStdString(ok_), QString::fromStdString(failing_)};
  panel_->selectRuns(both);
  QVERIFY(selected.count() >= 1);
  auto ids = selected.last().at(0).toStringList();
  ids.sort();
  auto expected = both;
  expected.sort();
  QCOMPARE(ids, expected);
  QCOMPARE(selected.last().at(1).toStringList().size(), 2);
  QVERIFY(selected.last().at(1).toStringList().join(" ").contains("sweep-lr0.1 ("));

  std::unique_ptr<QMenu> menu(panel_->createContextMenu({QString::fromStdString(ok_)}, panel_.get()));
  QSignalSpy duplicate(panel_.get(), &RunsPanel::duplicateRequested);
  for (auto* action : menu->actions()) {
    if (action->text() == "Copy run id") action->trigger();
    if (action->text() == "Duplicate as new launch") action->trigger();
    if (action->text() == "Cancel") QVERIFY(!action->isEnabled());   // a finished run cannot be cancelled
  }
  QCOMPARE(QApplication::clipboard()->text(), QString::fromStdString(ok_));
  QCOMPARE(duplicate.count(), 1);
  QCOMPARE(duplicate.first().at(0).toString(), QString::fromStdString(ok_));

  // "Export report..." hands the runs it was opened on to the main window.
  std::unique_ptr<QMenu> both_menu(panel_->createContextMenu(both, panel_.get()));
  QSignalSpy report(panel_.get(), &RunsPanel::reportRequested);
  for (auto* action : both_menu->actions())
    if (action->text() == "Export report...") action->trigger();
  QCOMPARE(report.count(), 1);
  QCOMPARE(report.first().at(0).toStringList(), both);
}

void RunsBrowserTest::deleteRefusesALiveRunAndMovesAFinishedOneToTheTrash() {
  const auto runs = prj_->project().runs_dir();
  QSignalSpy failed(panel_.get(), &RunsPanel::actionFailed);
  QSignalSpy deleted(panel_.get(), &RunsPanel::runsDeleted);
  QStringList asked;

  panel_->setConfirmer([&](const QString& q) { asked << q; return false; });   // the user says no
  panel_->deleteRuns({QString::fromStdString(ok_)});
  QCOMPARE(asked.size(), 1);
  QTest::qWait(0);
  QVERIFY(fs::exists(runs / ok_ / "run.json"));

  panel_->setConfirmer([&](const QString& q) { asked << q; return true; });
  panel_->deleteRuns({QString::fromStdString(long_)});
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
  QVERIFY(failed.first().at(0).toString().contains("still live"));
  QVERIFY(fs::exists(runs / long_ / "run.json"));
  QCOMPARE(status(long_), QString("running"));

  panel_->deleteRuns({QString::fromStdString(ok_)});
  QTRY_COMPARE_WITH_TIMEOUT(deleted.count(), 1, 10000);
  QCOMPARE(deleted.first().at(0).toStringList(), QStringList{QString::fromStdString(ok_)});
  QVERIFY(!fs::exists(runs / ok_));
  QVERIFY(fs::exists(prj_->project().root / "trash" / ok_ / "run.json"));
  QVERIFY(fs::exists(prj_->project().root / "trash" / ok_ / "run.h5"));
  QTRY_VERIFY_WITH_TIMEOUT(!find(ok_, 0).isValid(), 10000);
  QVERIFY(find(failing_, 0).isValid());
}

void RunsBrowserTest::cancels() {
  QCOMPARE(status(long_), QString("running"));
  std::unique_ptr<QMenu> menu(panel_->createContextMenu({QString::fromStdString(long_)}, panel_.get()));
  bool triggered = false;
  for (auto* action : menu->actions()) {
    if (action->text() == "Cancel" && action->isEnabled()) {
      action->trigger();
      triggered = true;
    }
  }
  QVERIFY(triggered);
  QTRY_COMPARE_WITH_TIMEOUT(status(long_), QString("cancelled"), 30000);
}

void RunsBrowserTest::aVanishedAgentReadsLost() {
  const auto victim = prj_->launch_ticker("victim", 2, 6000, 100);
  QTRY_COMPARE_WITH_TIMEOUT(status(victim), QString("running"), 20000);
  const auto pid = prj_->record(victim).agent.pid;
  QVERIFY(pid > 0);
  QCOMPARE(::kill(pid, SIGKILL), 0);   // run.json still says "running": only the observed status knows
  QTRY_COMPARE_WITH_TIMEOUT(status(victim), QString("lost"), 20000);
  QCOMPARE(prj_->record(victim).status, orrery::runfiles::RunStatus::Running);
}

void RunsBrowserTest::annotationsRoundTrip() {
  const auto id = QString::fromStdString(failing_);
  panel_->setAnnotations(id, {"flaky", " experiment:paper "}, "diverged at step 150\nsecond line");
  QTRY_COMPARE_WITH_TIMEOUT(find(failing_, 0).parent().data().toString(), QString("paper"), 10000);
  QVERIFY(cell(failing_, RunsModel::Tags).contains("flaky"));
  QCOMPARE(cell(failing_, RunsModel::Notes), QString("diverged at step 150"));
  QCOMPARE(find(failing_, RunsModel::Notes).data(Qt::ToolTipRole).toString(), QString("diverged at step 150\nsecond line"));
  const auto stored = orrery::runfiles::read_annotations(prj_->project(), failing_);
  QCOMPARE(stored.tags, (std::vector<std::string>{"flaky", "experiment:paper"}));
  QCOMPARE(stored.notes, std::string("diverged at step 150\nsecond line"));
  // run.json is the agent's: the GUI never wrote tags into it.
  QVERIFY(prj_->record(failing_).tags.empty());

  QSignalSpy failed(panel_.get(), &RunsPanel::actionFailed);
  panel_->setAnnotations(id, {"bad\ttag"}, "");
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
  QCOMPARE(orrery::runfiles::read_annotations(prj_->project(), failing_).tags, stored.tags);
}

void RunsBrowserTest::cleanupTestCase() {
  panel_.reset();
  prj_.reset();   // stops any run still live
}

QTEST_MAIN(RunsBrowserTest)
#include "test_runs_browser.moc"
