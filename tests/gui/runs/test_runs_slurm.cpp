// The runs browser's Slurm column and "Cancel Slurm job...".
// recordedJobs: runs with a recorded slurm.json (as `orrery run --target` writes it): the job
// and Slurm's state are shown (pending with its reason, running on its nodes, failed with its
// exit code, cancelled); a job that has ended is not asked about again and offers no
// cancel; a damaged slurm.json still lists the run; a job whose target is not in orrery.json
// is asked about for real and the browser says why it cannot be (no fake Slurm anywhere).
// slurmBed: run by tests/e2e/test_runs_slurm_gui.py on the real single-node Slurm test bed, for
// each run it names with the state to see (held jobs on this machine's Slurm and through an ssh
// login node, a running job): that state comes from Slurm through the browser's refresh, the
// context menu's "Cancel Slurm job..." cancels it (scancel, over ssh for the via job), and the row
// then reads CANCELLED.
// slurmStates: run by tests/e2e/test_runs_slurm_rounds.py (a held job array's tasks and another
// job on the test bed, Slurm's commands logged by wrappers on PATH): each run named shows the
// state and run status it names, and the panel stays open for a few more rounds so the e2e test
// can count the Slurm calls of each round.
// followedByTheForm: run by tests/e2e/test_launch_slurm_rounds.py beside the launch form that
// submits a sweep and follows it: the browser shows the runs as they appear and their jobs'
// states from slurm.json (kept current by the form's keepers), until every run succeeded and
// its job reads COMPLETED; the e2e test checks from the logged Slurm calls that the browser
// never asked about a job the form was following.

#include "run_testing.hpp"
#include "runs/runs_model.hpp"
#include "runs/runs_panel.hpp"

#include <QAction>
#include <QLabel>
#include <QMenu>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

using orrery::panels::RunsModel;
using orrery::panels::RunsPanel;
namespace runfiles = orrery::runfiles;
namespace fs = std::filesystem;

namespace {

QModelIndex find_cell(const RunsModel* model, const QString& run_id, int column) {
  for (int e = 0; e < model->rowCount(); ++e) {
    const auto experiment = model->index(e, 0);
    for (int r = 0; r < model->rowCount(experiment); ++r) {
      const auto index = model->index(r, column, experiment);
      if (index.data(RunsModel::RunIdRole).toString() == run_id) return index;
    }
  }
  return {};
}

QString cell(const RunsPanel& panel, const QString& run_id, int column) {
  const auto i = find_cell(panel.model(), run_id, column);
  return i.isValid() ? i.data().toString() : QString();
}

QString status(const RunsPanel& panel, const QString& run_id) {
  const auto i = find_cell(panel.model(), run_id, RunsModel::Status);
  return i.isValid() ? i.data(RunsModel::StatusRole).toString() : QString();
}

std::vector<QString> run_ids(const RunsModel* model) {
  std::vector<QString> ids;
  for (int e = 0; e < model->rowCount(); ++e) {
    const auto experiment = model->index(e, 0);
    for (int r = 0; r < model->rowCount(experiment); ++r) ids.push_back(model->index(r, 0, experiment).data(RunsModel::RunIdRole).toString());
  }
  return ids;
}

QAction* action_named(QMenu* menu, const QString& text) {
  for (auto* a : menu->actions())
    if (a->text() == text) return a;
  return nullptr;
}

// A run folder as prepare_slurm and submit_slurm leave it: run.json (scheduler "slurm") and slurm.json.
std::string recorded_run(const runfiles::Project& project, const std::string& name, runfiles::RunStatus status,
                         const std::string& slurm_json) {
  const auto id = runfiles::make_run_id(project, name);
  const auto dir = runfiles::run_path(project, id);
  fs::create_directories(dir / "logs");
  runfiles::RunRecord record;
  record.id = id;
  record.name = name;
  record.kind = "command";
  record.target = "cluster";
  record.ranks = 2;
  record.status = status;
  record.scheduler = "slurm";
  record.created = 1.7e9;
  runfiles::write_run_record(dir, record);
  if (!slurm_json.empty()) std::ofstream(dir / "slurm.json") << slurm_json;
  return id;
}

}  // namespace

class RunsSlurmTest : public QObject {
  Q_OBJECT

 private slots:
  void recordedJobs();
  void slurmBed();
  void slurmStates();
  void followedByTheForm();
};

void RunsSlurmTest::recordedJobs() {
  orrery::testing::TestProject prj;
  const auto& project = prj.project();
  const auto done = QString::fromStdString(recorded_run(project, "done", runfiles::RunStatus::Cancelled, R"({
  "target": "cluster", "job": "41", "remote_run_dir": "", "state": "CANCELLED", "reason": "None",
  "nodes": "", "exit_code": "0:15", "updated": 1700000100.5
})"));
  const auto queued = QString::fromStdString(recorded_run(project, "queued", runfiles::RunStatus::Starting, R"({
  "target": "nowhere", "job": "42_1", "remote_run_dir": "", "state": "PENDING", "reason": "Resources",
  "nodes": "", "exit_code": "0:0", "updated": 1700000100.5
})"));
  const auto running = QString::fromStdString(recorded_run(project, "running", runfiles::RunStatus::Running, R"({
  "target": "nowhere", "job": "43", "remote_run_dir": "/scratch/ana/orrery/runs/x", "state": "RUNNING", "reason": "None",
  "nodes": "node[1-2]", "exit_code": "0:0", "updated": 1700000100.5
})"));
  const auto failed = QString::fromStdString(recorded_run(project, "failed", runfiles::RunStatus::Failed, R"({
  "target": "cluster", "job": "44", "remote_run_dir": "", "state": "FAILED", "reason": "NonZeroExitCode",
  "nodes": "node1", "exit_code": "1:0", "updated": 1700000100.5
})"));
  const auto damaged = QString::fromStdString(recorded_run(project, "damaged", runfiles::RunStatus::Succeeded, "{\"job\": "));
  const auto plain = QString::fromStdString(recorded_run(project, "plain", runfiles::RunStatus::Succeeded, ""));

  RunsPanel panel(project);
  QSignalSpy failures(&panel, &RunsPanel::actionFailed);
  QTRY_VERIFY_WITH_TIMEOUT(!status(panel, plain).isEmpty() && !status(panel, queued).isEmpty(), 10000);
  QCOMPARE(panel.model()->headerData(RunsModel::Slurm, Qt::Horizontal).toString(), QString("Slurm"));
  QCOMPARE(cell(panel, done, RunsModel::Slurm), QString("job 41: CANCELLED (exit code 0:15)"));
  QCOMPARE(find_cell(panel.model(), done, RunsModel::Slurm).data(Qt::ToolTipRole).toString(), QString("Slurm target cluster"));
  QCOMPARE(cell(panel, queued, RunsModel::Slurm), QString("job 42_1: PENDING (Resources)"));
  QCOMPARE(status(panel, queued), QString("starting"));   // waiting in a queue is not "lost"
  QCOMPARE(cell(panel, running, RunsModel::Slurm), QString("job 43: RUNNING on node[1-2]"));
  QCOMPARE(cell(panel, failed, RunsModel::Slurm), QString("job 44: FAILED (NonZeroExitCode, exit code 1:0)"));
  QCOMPARE(cell(panel, damaged, RunsModel::Slurm), QString());
  QCOMPARE(status(panel, damaged), QString("succeeded"));
  QCOMPARE(cell(panel, plain, RunsModel::Slurm), QString());
  // Only the queued and the running job are still Slurm's business.
  auto unsettled = panel.model()->unsettled_slurm_run_ids();
  std::sort(unsettled.begin(), unsettled.end());
  auto expected = std::vector<std::string>{queued.toStdString(), running.toStdString()};
  std::sort(expected.begin(), expected.end());
  QCOMPARE(unsettled, expected);

  std::unique_ptr<QMenu> menu(panel.createContextMenu({done, plain, failed}, nullptr));
  QVERIFY(!action_named(menu.get(), "Cancel Slurm job..."));
  menu.reset(panel.createContextMenu({queued}, nullptr));
  QVERIFY(action_named(menu.get(), "Cancel Slurm job..."));

  // The browser asks for real: the target is not in orrery.json, and it says so.
  const auto* message = panel.findChild<QLabel*>("runs.message");
  QVERIFY(message);
  QTRY_VERIFY_WITH_TIMEOUT(message->text().contains("cannot ask Slurm about job 42_1") &&
                               message->text().contains("cannot ask Slurm about job 43"),
                           10000);
  QVERIFY2(message->text().contains("the Slurm target \"nowhere\" is not in orrery.json"), qPrintable(message->text()));

  // Cancel: declined at the question, nothing happens; confirmed, the same reason comes back.
  QString asked;
  panel.setConfirmer([&asked](const QString& q) { asked = q; return false; });
  action_named(menu.get(), "Cancel Slurm job...")->trigger();
  QCOMPARE(asked, QString("Cancel Slurm job 42_1 (run %1) with scancel?").arg(queued));
  QTest::qWait(200);
  QCOMPARE(failures.count(), 0);
  panel.setConfirmer([](const QString&) { return true; });
  panel.cancelSlurmJobs({done, queued, plain});   // only the job that has not ended is cancelled
  QTRY_COMPARE_WITH_TIMEOUT(failures.count(), 1, 10000);
  const auto failure = failures.front().front().toString();
  QVERIFY2(failure.startsWith("run " + queued + ": ") && failure.contains("\"nowhere\" is not in orrery.json"),
           qPrintable(failure));
  QCOMPARE(cell(panel, queued, RunsModel::Slurm), QString("job 42_1: PENDING (Resources)"));   // nothing recorded as done
}

void RunsSlurmTest::slurmBed() {
  const auto root = qEnvironmentVariable("ORRERY_RUNS_SLURM_PROJECT");
  const auto runs = qEnvironmentVariable("ORRERY_RUNS_SLURM_RUNS").split(',', Qt::SkipEmptyParts);
  if (root.isEmpty() || runs.isEmpty())
    QSKIP("needs the Slurm test bed: run by tests/e2e/test_runs_slurm_gui.py (ORRERY_RUNS_SLURM_PROJECT unset)");
  const auto project = runfiles::open_project(fs::path(root.toStdString()), false);
  RunsPanel panel(project);
  panel.resize(1200, 300);
  panel.show();
  QSignalSpy failures(&panel, &RunsPanel::actionFailed);
  QSignalSpy cancelled(&panel, &RunsPanel::slurmJobsCancelled);
  for (const auto& entry : runs) {
    // "RUN|STATE": the run and the state Slurm must be seen in before it is cancelled.
    const auto run = entry.section('|', 0, 0), expected = entry.section('|', 1);
    QVERIFY2(!run.isEmpty() && !expected.isEmpty(), qPrintable(entry));
    // What shows comes from Slurm through the browser's own look (for a --detach run slurm.json holds no state yet).
    QTRY_VERIFY_WITH_TIMEOUT(cell(panel, run, RunsModel::Slurm).contains(": " + expected), 30000);
    std::printf("browser shows: %s\n", qPrintable(cell(panel, run, RunsModel::Slurm)));
    QCOMPARE(status(panel, run), QString(expected.startsWith("PENDING") ? "starting" : "running"));

    panel.selectRuns({run});
    QCOMPARE(panel.selectedRunIds(), QStringList{run});
    QString asked;
    panel.setConfirmer([&asked](const QString& q) { asked = q; return true; });
    std::unique_ptr<QMenu> menu(panel.createContextMenu(panel.selectedRunIds(), nullptr));
    auto* cancel = action_named(menu.get(), "Cancel Slurm job...");
    QVERIFY(cancel);
    const int before = cancelled.count();
    cancel->trigger();
    QVERIFY2(asked.startsWith("Cancel Slurm job ") && asked.contains(run), qPrintable(asked));
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), before + 1, 30000);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.isEmpty() ? QString() : failures.back().front().toString()));
    const auto outcome = cancelled.back().front().toString();
    std::printf("cancel outcome: %s\n", qPrintable(outcome));
    // Slurm's word right after scancel: CANCELLED for a queued job, often COMPLETING for a running one.
    QVERIFY2(outcome.startsWith("scancel ") && outcome.contains(" done for run " + run + ": job "), qPrintable(outcome));
    QTRY_VERIFY_WITH_TIMEOUT(cell(panel, run, RunsModel::Slurm).contains(": CANCELLED"), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(status(panel, run), QString("cancelled"), 30000);
    std::unique_ptr<QMenu> after(panel.createContextMenu({run}, nullptr));
    QVERIFY(!action_named(after.get(), "Cancel Slurm job..."));   // the job has ended: nothing left to cancel
    std::printf("browser shows after cancel: %s\n", qPrintable(cell(panel, run, RunsModel::Slurm)));
  }
}

void RunsSlurmTest::slurmStates() {
  const auto root = qEnvironmentVariable("ORRERY_RUNS_SLURM_PROJECT");
  const auto runs = qEnvironmentVariable("ORRERY_RUNS_SLURM_STATES").split(',', Qt::SkipEmptyParts);
  if (root.isEmpty() || runs.isEmpty())
    QSKIP("needs the Slurm test bed: run by tests/e2e/test_runs_slurm_rounds.py (ORRERY_RUNS_SLURM_STATES unset)");
  const auto project = runfiles::open_project(fs::path(root.toStdString()), false);
  RunsPanel panel(project);
  for (const auto& entry : runs) {
    // "RUN|SLURM CELL|RUN STATUS"
    const auto run = entry.section('|', 0, 0), expected = entry.section('|', 1, 1), run_status = entry.section('|', 2);
    QVERIFY2(!run.isEmpty() && !expected.isEmpty() && !run_status.isEmpty(), qPrintable(entry));
    QTRY_VERIFY2_WITH_TIMEOUT(cell(panel, run, RunsModel::Slurm).contains(": " + expected),
                              qPrintable(run + " shows " + cell(panel, run, RunsModel::Slurm)), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(status(panel, run), run_status, 10000);
    std::printf("browser shows: %s (%s)\n", qPrintable(cell(panel, run, RunsModel::Slurm)), qPrintable(status(panel, run)));
  }
  const auto* message = panel.findChild<QLabel*>("runs.message");
  QVERIFY(message);
  QVERIFY2(!message->text().contains("cannot ask Slurm"), qPrintable(message->text()));
  QTest::qWait(5000);   // more rounds: only the jobs still open are asked
  for (const auto& entry : runs)
    QVERIFY2(cell(panel, entry.section('|', 0, 0), RunsModel::Slurm).contains(": " + entry.section('|', 1, 1)), qPrintable(entry));
  std::printf("panel closed\n");
}

void RunsSlurmTest::followedByTheForm() {
  const auto root = qEnvironmentVariable("ORRERY_RUNS_FOLLOWED_PROJECT");
  const int count = qEnvironmentVariableIntValue("ORRERY_RUNS_FOLLOWED_COUNT");
  if (root.isEmpty() || count < 1)
    QSKIP("needs the Slurm test bed and the form: run by tests/e2e/test_launch_slurm_rounds.py (ORRERY_RUNS_FOLLOWED_PROJECT unset)");
  const auto project = runfiles::open_project(fs::path(root.toStdString()), false);
  RunsPanel panel(project);
  std::printf("browser open\n");
  std::fflush(stdout);
  const auto all_done = [&] {
    const auto ids = run_ids(panel.model());
    return static_cast<int>(ids.size()) == count && std::all_of(ids.begin(), ids.end(), [&](const QString& id) {
             return cell(panel, id, RunsModel::Slurm).contains(": COMPLETED") && status(panel, id) == "succeeded";
           });
  };
  QTRY_VERIFY_WITH_TIMEOUT(all_done(), 90000);
  for (const auto& id : run_ids(panel.model()))
    std::printf("browser shows: %s %s (%s)\n", qPrintable(id), qPrintable(cell(panel, id, RunsModel::Slurm)), qPrintable(status(panel, id)));
  const auto* message = panel.findChild<QLabel*>("runs.message");
  QVERIFY(message);
  QVERIFY2(!message->text().contains("cannot ask Slurm"), qPrintable(message->text()));
  std::printf("panel closed\n");
}

QTEST_MAIN(RunsSlurmTest)
#include "test_runs_slurm.moc"
