// Launching on the project's targets from the form.
//   offline (always): the Target choice lists orrery.json's targets and follows edits of the
//     file; a launch on an ssh target nobody listens for fails with a message naming the target,
//     and the form can launch again; a Slurm target shows its sbatch script first, and Cancel there
//     submits nothing and leaves no run folder.
//   testBeds (run by tests/e2e/test_launch_remote_gui.py, which starts a real sshd on 127.0.0.1
//     and passes its project in ORRERY_LAUNCH_REMOTE_PROJECT): on a target whose host key is not
//     known yet, the cluster panel's question shows the bed key's fingerprint; No ends the launch
//     with "not trusted", Yes records the key and launches a 2-rank command run, which is then
//     followed (run.json mirrored, remote.json) and copied back once it has succeeded; on the real
//     single-node Slurm (slurm_testbed) the sbatch script is shown, Submit sends it, and the job's
//     states are followed until the run succeeded and Slurm says COMPLETED (job.sh kept in the folder);
//     then the same Slurm through the ssh target "login" ("via", its host key not known yet): Yes
//     at the host-key question, Submit at the script, PENDING/RUNNING/COMPLETED followed over the
//     connection, the run handed to the mirror once its agent runs and copied back; Cancel at a
//     second via script leaves no folder on either side.
//   sweepBeds (run by tests/e2e/test_launch_sweep_remote_gui.py with ORRERY_LAUNCH_SWEEP_PROJECT, on
//     the same beds, the host keys known): a sweep of 2 points (the worker's argv swept) on the local
//     Slurm target is one job array (--array=0-1 in the script shown once, one Submit), each run
//     followed by its own keeper until it succeeded and its task COMPLETED; through the login node
//     ("via") the same, each run mirrored and copied back; on the ssh target the 2 runs are started
//     one after another over one connection, followed and copied back; the form's progress lines
//     count the deploy's files (the first run sends each, "file n of N"; the second sends none).
//   slurmRounds (run by tests/e2e/test_launch_slurm_rounds.py with ORRERY_LAUNCH_ROUNDS_PROJECT,
//     squeue/scontrol logging wrappers first on PATH): a 3-point sweep on the local Slurm target,
//     each run followed by its own keeper until it succeeded and its task COMPLETED; the e2e test
//     reads the log (the keepers share one squeue call per tick).
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <variant>
#include <iostream>

#include "feed/feed_client.hpp"
#include "launch/launch_panel.hpp"
#include "run_testing.hpp"
#include "runfiles/project.hpp"

using orrery::panels::LaunchPanel;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kRemoteTimeoutMs = 90'000;

template <class W>
W* field(LaunchPanel& panel, const QString& name) {
  auto* w = panel.findChild<W*>(name);
  if (!w) qFatal("no widget %s", qPrintable(name));
  return w;
}

void write_settings(const fs::path& root, const json& settings) {
  std::ofstream out(root / "orrery.json.new");
  out << settings.dump(2);
  out.close();
  fs::rename(root / "orrery.json.new", root / "orrery.json");
}

// A loopback port that nothing listens on (bound, then closed: refused at once).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool choose_target(LaunchPanel& panel, const QString& name) {
  auto* combo = field<QComboBox>(panel, QStringLiteral("target"));
  if (!QTest::qWaitFor([&] { return combo->findData(name) >= 0; }, 10'000)) return false;
  combo->setCurrentIndex(combo->findData(name));
  return combo->currentData().toString() == name;
}

// A command run of the slow test worker: `steps` steps on `ranks` ranks.
bool fill_slow_command(LaunchPanel& panel, const QString& worker, int ranks, int steps) {
  if (!QTest::qWaitFor([&] { return panel.kindsLoaded(); }, 10'000)) return false;
  auto* kind = field<QComboBox>(panel, QStringLiteral("kind"));
  kind->setCurrentIndex(kind->findData(QStringLiteral("command")));
  field<QSpinBox>(panel, QStringLiteral("ranks"))->setValue(ranks);
  field<QLineEdit>(panel, QStringLiteral("name"))->setText(QStringLiteral("remote-form"));
  field<QLineEdit>(panel, QStringLiteral("value:argv"))
      ->setText(QStringLiteral("/usr/bin/python3 -u %1 --steps %2 --sleep 0.05").arg(worker).arg(steps));
  return panel.isValid();
}

// Launches, waits for the host-key question and answers it; returns the question's text.
QString launch_answering(LaunchPanel& panel, QMessageBox::StandardButton answer) {
  QMessageBox* box = nullptr;
  auto connection = QObject::connect(&panel, &LaunchPanel::hostKeyAsked, [&](QMessageBox* b) { box = b; });
  field<QPushButton>(panel, QStringLiteral("launch"))->click();
  const bool asked = QTest::qWaitFor([&] { return box != nullptr; }, kRemoteTimeoutMs);
  QObject::disconnect(connection);
  if (!asked) return {};
  const QString text = box->text();
  box->button(answer)->click();
  return text;
}

// Launches on a Slurm target, waits for the sbatch script dialog and closes it with result; returns the script.
QString submit_answering(LaunchPanel& panel, QDialog::DialogCode result) {
  QDialog* dialog = nullptr;
  auto connection = QObject::connect(&panel, &LaunchPanel::sbatchScriptShown, [&](QDialog* d) { dialog = d; });
  field<QPushButton>(panel, QStringLiteral("launch"))->click();
  const bool shown = QTest::qWaitFor([&] { return dialog != nullptr; }, kRemoteTimeoutMs);
  QObject::disconnect(connection);
  if (!shown) return {};
  auto* text = dialog->findChild<QPlainTextEdit*>(QStringLiteral("launch.sbatchScript.text"));
  const QString script = text ? text->toPlainText() : QString();
  dialog->done(result);
  return script;
}

// A sweep of 2 points of the slow worker (its argv swept): `steps` and `steps + 10` steps on one rank.
bool fill_slow_sweep(LaunchPanel& panel, const QString& worker, int steps) {
  if (!fill_slow_command(panel, worker, 1, steps)) return false;
  field<QCheckBox>(panel, QStringLiteral("sweep:argv"))->setChecked(true);
  field<QLineEdit>(panel, QStringLiteral("sweepValues:argv"))
      ->setText(QStringLiteral("/usr/bin/python3 -u %1 --steps %2 --sleep 0.05; /usr/bin/python3 -u %1 --steps %3 --sleep 0.05")
                    .arg(worker)
                    .arg(steps)
                    .arg(steps + 10));
  return panel.isValid() && panel.plannedRuns() == 2;
}

// Launches on a Slurm target reached through an ssh target whose host key is unknown: answers the
// host-key question with Yes, then the sbatch script dialog with Submit; returns the script.
QString trust_and_submit(LaunchPanel& panel) {
  QMessageBox* box = nullptr;
  QDialog* dialog = nullptr;
  auto asked = QObject::connect(&panel, &LaunchPanel::hostKeyAsked, [&](QMessageBox* b) { box = b; });
  auto shown = QObject::connect(&panel, &LaunchPanel::sbatchScriptShown, [&](QDialog* d) { dialog = d; });
  field<QPushButton>(panel, QStringLiteral("launch"))->click();
  if (QTest::qWaitFor([&] { return box != nullptr; }, kRemoteTimeoutMs)) box->button(QMessageBox::Yes)->click();
  const bool ready = box && QTest::qWaitFor([&] { return dialog != nullptr; }, kRemoteTimeoutMs);
  QObject::disconnect(asked);
  QObject::disconnect(shown);
  if (!ready) return {};
  auto* text = dialog->findChild<QPlainTextEdit*>(QStringLiteral("launch.sbatchScript.text"));
  const QString script = text ? text->toPlainText() : QString();
  dialog->done(QDialog::Accepted);
  return script;
}

}  // namespace

class TestLaunchRemote : public QObject {
  Q_OBJECT

 private slots:
  void offline() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = dir.path().toStdString();
    auto project = orrery::runfiles::open_project(root, true);
    write_settings(root, {{"name", "offline"},
                          {"targets", {{"local", {{"type", "local"}}},
                                       {"nobody", {{"type", "ssh"}, {"host", "127.0.0.1"}, {"port", closed_port()},
                                                   {"work_dir", dir.filePath("remote").toStdString()}}},
                                       {"cluster", {{"type", "slurm"}, {"partition", "debug"}}}}}});
    LaunchPanel panel(project, orrery::testing::install_paths_from_env());
    QVERIFY(choose_target(panel, QStringLiteral("nobody")));
    QVERIFY(field<QComboBox>(panel, QStringLiteral("target"))->findData(QStringLiteral("cluster")) >= 0);
    QVERIFY(fill_slow_command(panel, QStringLiteral("/nonexistent/worker.py"), 1, 1));
    // The spec stays valid for any target: run.json names the target, the spec says "local".
    QCOMPARE(QString::fromStdString(panel.plannedSpec(0)["target"].get<std::string>()), QStringLiteral("local"));

    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    field<QPushButton>(panel, QStringLiteral("launch"))->click();
    QVERIFY(!field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());   // busy while it connects
    QVERIFY(failed.wait(kRemoteTimeoutMs));
    QVERIFY(launched.isEmpty());
    const QString message = failed.front().front().toString();
    QVERIFY2(message.contains(QStringLiteral("launch on nobody failed")), qPrintable(message));
    QCOMPARE(field<QLabel>(panel, QStringLiteral("launchStatus"))->text(), message);
    QVERIFY(field<QPushButton>(panel, QStringLiteral("launch"))->isEnabled());
    QVERIFY(!fs::exists(root / "runs") || fs::is_empty(root / "runs"));   // nothing was started

    // Slurm: the sbatch script is shown before anything is submitted; Cancel leaves no run behind.
    QVERIFY(choose_target(panel, QStringLiteral("cluster")));
    const QString script = submit_answering(panel, QDialog::Rejected);
    QVERIFY2(script.contains(QStringLiteral("#SBATCH")) && script.contains(QStringLiteral("--partition=debug")) &&
                 script.contains(QStringLiteral("orrery-agent")),
             qPrintable(script));
    QVERIFY(QTest::qWaitFor([&] { return failed.count() == 2; }, 10'000));
    QVERIFY2(failed.back().front().toString().contains(QStringLiteral("not submitted")),
             qPrintable(failed.back().front().toString()));
    QVERIFY(QTest::qWaitFor([&] { return !fs::exists(root / "runs") || fs::is_empty(root / "runs"); }, 10'000));

    // orrery.json edited: the choice follows (a target gone, one added), the chosen one kept when it still exists.
    QSignalSpy reread(&panel, &LaunchPanel::targetsReady);
    write_settings(root, {{"name", "offline"}, {"targets", {{"cluster", {{"type", "slurm"}}}, {"other", {{"type", "local"}}}}}});
    QVERIFY(QTest::qWaitFor([&] { return field<QComboBox>(panel, QStringLiteral("target"))->findData(QStringLiteral("other")) >= 0; },
                            10'000));
    auto* combo = field<QComboBox>(panel, QStringLiteral("target"));
    QCOMPARE(combo->findData(QStringLiteral("nobody")), -1);
    QCOMPARE(combo->currentData().toString(), QStringLiteral("cluster"));
    QVERIFY(combo->findData(QStringLiteral("local")) >= 0);
  }

  void testBeds() {
    const QString projectDir = qEnvironmentVariable("ORRERY_LAUNCH_REMOTE_PROJECT");
    if (projectDir.isEmpty())
      QSKIP("needs the sshd test bed: run by tests/e2e/test_launch_remote_gui.py (ORRERY_LAUNCH_REMOTE_PROJECT unset)");
    const QString fingerprint = qEnvironmentVariable("ORRERY_LAUNCH_REMOTE_FINGERPRINT");
    const QString worker = qEnvironmentVariable("ORRERY_LAUNCH_REMOTE_WORKER");
    QVERIFY(!fingerprint.isEmpty() && !worker.isEmpty());
    auto project = orrery::runfiles::open_project(fs::path(projectDir.toStdString()), false);
    LaunchPanel panel(project, orrery::testing::install_paths_from_env());
    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy copied(&panel, &LaunchPanel::remoteRunCopiedBack);
    // 3 s of steps: batches still arrive when the test starts listening to the forwarded feed.
    QVERIFY(fill_slow_command(panel, worker, 2, 60));

    // Declined: nothing launched, the form says why, the key is not recorded.
    QVERIFY(choose_target(panel, QStringLiteral("refused")));
    QString question = launch_answering(panel, QMessageBox::No);
    QVERIFY2(question.contains(fingerprint), qPrintable(question));
    QVERIFY(QTest::qWaitFor([&] { return !failed.isEmpty(); }, kRemoteTimeoutMs));   // No answers at once
    QVERIFY2(failed.back().front().toString().contains(QStringLiteral("was not trusted")),
             qPrintable(failed.back().front().toString()));
    QVERIFY(launched.isEmpty());

    // Trusted: the key is recorded and the run launched, followed and copied back.
    QVERIFY(choose_target(panel, QStringLiteral("stranger")));
    question = launch_answering(panel, QMessageBox::Yes);
    QElapsedTimer sinceTrusted;
    sinceTrusted.start();
    QVERIFY2(question.contains(fingerprint), qPrintable(question));
    QVERIFY(QTest::qWaitFor([&] { return !launched.isEmpty() || failed.count() > 1; }, kRemoteTimeoutMs));
    QVERIFY2(failed.count() == 1, qPrintable(failed.back().front().toString()));
    const qint64 launchedMs = sinceTrusted.elapsed();
    const QString id = launched.front().front().toString();
    const fs::path runDir = orrery::runfiles::run_path(project, id.toStdString());
    // Followed like a local run: the local run.json (the mirror's) names the sockets forwarded
    // through the ssh connection, and the ordinary feed client gets the ranks' batches through them.
    QVERIFY(fs::exists(runDir / "remote.json"));
    const auto live = orrery::testing::read_record(project, id.toStdString());
    QVERIFY(live);
    QVERIFY2(live->agent.feed.rfind("ipc://", 0) == 0 && fs::exists(live->agent.feed.substr(6)), live->agent.feed.c_str());
    orrery::feed::FeedClient feed(*live, true);
    bool batch = false;
    QElapsedTimer waited;
    waited.start();
    while (!batch && waited.elapsed() < 30'000)
      if (auto m = feed.next(std::chrono::milliseconds(500))) batch = std::holds_alternative<orrery::feed::BatchMessage>(*m);
    QVERIFY2(batch, "no telemetry batch came through the forwarded feed socket");
    const qint64 firstBatchMs = sinceTrusted.elapsed();
    QVERIFY2(QTest::qWaitFor([&] { return !copied.isEmpty(); }, kRemoteTimeoutMs),
             qPrintable(field<QLabel>(panel, QStringLiteral("launchStatus"))->text()));
    QCOMPARE(copied.front().front().toString(), id);
    const auto record = orrery::testing::read_record(project, id.toStdString());
    QVERIFY(record);
    QCOMPARE(orrery::testing::observed(project, id.toStdString()), std::optional(orrery::runfiles::RunStatus::Succeeded));
    QCOMPARE(QString::fromStdString(record->target), QStringLiteral("stranger"));
    std::ifstream where(runDir / "remote.json");
    QVERIFY(json::parse(where, nullptr, false).value("copied_back", false));
    QVERIFY(fs::exists(runDir / "run.h5"));
    std::cout << "launched remote run " << id.toStdString() << "\n"
              << "timing ssh (key trusted -> launched / first batch through the tunnel / copied back): " << launchedMs
              << " / " << firstBatchMs << " / " << sinceTrusted.elapsed() << " ms\n";

    // Slurm on this machine: the script shown, Submit, the job's states followed until the run succeeded.
    QVERIFY(choose_target(panel, QStringLiteral("cluster")));
    QSignalSpy jobEnded(&panel, &LaunchPanel::slurmJobEnded);
    const QString script = submit_answering(panel, QDialog::Accepted);
    QElapsedTimer sinceSubmit;
    sinceSubmit.start();
    QVERIFY2(script.contains(QStringLiteral("#SBATCH")), qPrintable(script));
    QVERIFY(QTest::qWaitFor([&] { return launched.count() == 2 || failed.count() > 1; }, kRemoteTimeoutMs));
    QVERIFY2(failed.count() == 1, qPrintable(failed.back().front().toString()));
    const QString jobRun = launched.back().front().toString();
    QVERIFY2(QTest::qWaitFor([&] { return !jobEnded.isEmpty(); }, kRemoteTimeoutMs),
             qPrintable(field<QLabel>(panel, QStringLiteral("launchStatus"))->text()));
    QCOMPARE(jobEnded.front().front().toString(), jobRun);
    QVERIFY2(jobEnded.front().at(1).toString().startsWith(QStringLiteral("COMPLETED")),
             qPrintable(jobEnded.front().at(1).toString()));
    QCOMPARE(orrery::testing::observed(project, jobRun.toStdString()), std::optional(orrery::runfiles::RunStatus::Succeeded));
    const fs::path jobDir = orrery::runfiles::run_path(project, jobRun.toStdString());
    std::ifstream kept(jobDir / "job.sh");
    QCOMPARE(QString::fromStdString(std::string(std::istreambuf_iterator<char>(kept), {})), script);
    std::cout << "submitted slurm run " << jobRun.toStdString() << "\n"
              << "timing slurm (Submit -> run succeeded and job COMPLETED seen): " << sinceSubmit.elapsed() << " ms\n";

    // Slurm through the ssh target "login": connection, host-key question, script, submission and
    // Slurm's states over ssh; the run mirrored once its agent runs there, then copied back.
    QVERIFY(choose_target(panel, QStringLiteral("viacluster")));
    QStringList states;   // every line the form showed, looked at as the test waits
    auto* status = field<QLabel>(panel, QStringLiteral("launchStatus"));
    auto note_state = [&] {
      if (states.isEmpty() || states.back() != status->text()) states << status->text();
    };
    const QString viaScript = trust_and_submit(panel);
    QElapsedTimer sinceViaSubmit;
    sinceViaSubmit.start();
    QVERIFY2(viaScript.contains(QStringLiteral("#SBATCH")) && viaScript.contains(QStringLiteral("orrery-agent")),
             qPrintable(field<QLabel>(panel, QStringLiteral("launchStatus"))->text()));
    QVERIFY(QTest::qWaitFor([&] { return note_state(), launched.count() == 3 || failed.count() > 1; }, kRemoteTimeoutMs));
    QVERIFY2(failed.count() == 1, qPrintable(failed.back().front().toString()));
    const QString viaRun = launched.back().front().toString();
    QVERIFY2(QTest::qWaitFor([&] { return note_state(), jobEnded.count() == 2 && copied.count() == 2; }, kRemoteTimeoutMs),
             qPrintable(states.join('\n')));
    QCOMPARE(jobEnded.back().front().toString(), viaRun);
    QVERIFY2(jobEnded.back().at(1).toString().startsWith(QStringLiteral("COMPLETED")), qPrintable(jobEnded.back().at(1).toString()));
    QCOMPARE(copied.back().front().toString(), viaRun);
    // Slurm's states shown as they came: queued or running (the run takes 3 s, Slurm is asked every second), then COMPLETED.
    const QStringList slurmLines = states.filter(QStringLiteral(", slurm job "));
    QVERIFY2(!slurmLines.filter(QRegularExpression(QStringLiteral(": (PENDING|RUNNING)"))).isEmpty() &&
                 !slurmLines.filter(QStringLiteral(": COMPLETED")).isEmpty(),
             qPrintable(states.join('\n')));
    std::cout << "form lines (slurm via ssh):\n  " << states.join(QStringLiteral("\n  ")).toStdString() << "\n";
    QCOMPARE(orrery::testing::observed(project, viaRun.toStdString()), std::optional(orrery::runfiles::RunStatus::Succeeded));
    const fs::path viaDir = orrery::runfiles::run_path(project, viaRun.toStdString());
    std::ifstream viaWhere(viaDir / "remote.json");
    QVERIFY(json::parse(viaWhere, nullptr, false).value("copied_back", false));
    std::cout << "submitted via slurm run " << viaRun.toStdString() << "\n"
              << "timing slurm via ssh (Submit -> job COMPLETED seen and folder copied back): " << sinceViaSubmit.elapsed()
              << " ms\n";

    // Cancel at the script (the key is trusted now): nothing submitted, the job folder prepared on the login node removed too.
    const fs::path loginRuns = fs::path(project.settings["targets"]["login"]["work_dir"].get<std::string>()) / "runs";
    QVERIFY(submit_answering(panel, QDialog::Rejected).contains(QStringLiteral("#SBATCH")));
    QVERIFY(QTest::qWaitFor([&] { return failed.count() == 2; }, kRemoteTimeoutMs));
    QVERIFY2(failed.back().front().toString().contains(QStringLiteral("not submitted")), qPrintable(failed.back().front().toString()));
    auto only_the_submitted_one = [&] {
      std::vector<std::string> names;
      for (const auto& e : fs::directory_iterator(loginRuns)) names.push_back(e.path().filename().string());
      return names == std::vector<std::string>{viaRun.toStdString()};
    };
    QVERIFY(QTest::qWaitFor(only_the_submitted_one, 30'000));
    QCOMPARE(launched.count(), 3);
  }

  void sweepBeds() {
    const QString projectDir = qEnvironmentVariable("ORRERY_LAUNCH_SWEEP_PROJECT");
    if (projectDir.isEmpty())
      QSKIP("needs the sshd and Slurm test beds: run by tests/e2e/test_launch_sweep_remote_gui.py (ORRERY_LAUNCH_SWEEP_PROJECT unset)");
    const QString worker = qEnvironmentVariable("ORRERY_LAUNCH_REMOTE_WORKER");
    QVERIFY(!worker.isEmpty());
    auto project = orrery::runfiles::open_project(fs::path(projectDir.toStdString()), false);
    LaunchPanel panel(project, orrery::testing::install_paths_from_env());
    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy finished(&panel, &LaunchPanel::launchesFinished);
    QSignalSpy copied(&panel, &LaunchPanel::remoteRunCopiedBack);
    QSignalSpy jobEnded(&panel, &LaunchPanel::slurmJobEnded);
    QVERIFY(fill_slow_sweep(panel, worker, 20));
    auto* status = field<QLabel>(panel, QStringLiteral("launchStatus"));
    auto ids_since = [&](int first) {
      QStringList ids;
      for (int i = first; i < launched.count(); ++i) ids << launched.at(i).front().toString();
      return ids;
    };
    auto all_succeeded = [&](const QStringList& ids) {
      for (const auto& id : ids)
        if (orrery::testing::observed(project, id.toStdString()) != std::optional(orrery::runfiles::RunStatus::Succeeded)) return false;
      return true;
    };

    // Slurm on this machine: one job array, its script shown once, one keeper per run.
    for (const QString& target : {QStringLiteral("cluster"), QStringLiteral("viacluster")}) {
      QVERIFY(choose_target(panel, target));
      const int before = launched.count(), endedBefore = jobEnded.count(), copiedBefore = copied.count();
      QElapsedTimer sinceSubmit;
      sinceSubmit.start();
      const QString script = submit_answering(panel, QDialog::Accepted);
      QVERIFY2(script.contains(QStringLiteral("--array=0-1")), qPrintable(script + status->text()));
      QVERIFY(QTest::qWaitFor([&] { return launched.count() == before + 2 || !failed.isEmpty(); }, kRemoteTimeoutMs));
      QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.back().front().toString()));
      const QStringList ids = ids_since(before);
      QVERIFY2(QTest::qWaitFor([&] { return jobEnded.count() == endedBefore + 2; }, kRemoteTimeoutMs), qPrintable(status->text()));
      QVERIFY2(QTest::qWaitFor([&] { return all_succeeded(ids); }, 30'000), qPrintable(status->text()));
      for (int i = endedBefore; i < jobEnded.count(); ++i)
        QVERIFY2(jobEnded.at(i).at(1).toString().startsWith(QStringLiteral("COMPLETED")), qPrintable(jobEnded.at(i).at(1).toString()));
      if (target == QStringLiteral("viacluster"))
        QVERIFY2(QTest::qWaitFor([&] { return copied.count() == copiedBefore + 2; }, kRemoteTimeoutMs), qPrintable(status->text()));
      std::cout << "swept " << target.toStdString() << " runs " << ids.join(' ').toStdString() << "\n"
                << "timing sweep of 2 on " << target.toStdString() << " (Submit -> both succeeded, tasks COMPLETED"
                << (target == QStringLiteral("viacluster") ? ", copied back" : "") << "): " << sinceSubmit.elapsed() << " ms\n";
    }

    // ssh: the sweep's runs started one after another, each followed and copied back.
    QVERIFY(choose_target(panel, QStringLiteral("box")));
    QSignalSpy progress(&panel, &LaunchPanel::remoteProgress);
    const int before = launched.count(), copiedBefore = copied.count(), finishedBefore = finished.count();
    QElapsedTimer sinceLaunch;
    sinceLaunch.start();
    field<QPushButton>(panel, QStringLiteral("launch"))->click();
    QVERIFY(QTest::qWaitFor([&] { return finished.count() > finishedBefore; }, kRemoteTimeoutMs));
    QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.back().front().toString()));
    QCOMPARE(launched.count(), before + 2);
    const QStringList ids = ids_since(before);
    QVERIFY2(QTest::qWaitFor([&] { return copied.count() == copiedBefore + 2; }, kRemoteTimeoutMs), qPrintable(status->text()));
    QVERIFY(all_succeeded(ids));
    // Deploy progress in the form: the box's work folder is new, so the first run sends every file
    // (each announced, "file n of N"); the second finds them all current and sends none.
    QStringList lines;
    for (const auto& args : progress) lines << args.front().toString();
    const auto first = lines.filter(QStringLiteral("(run 1 of 2)"));
    const auto sending = first.filter(QRegularExpression(QStringLiteral("sending \\S+ \\(file \\d+ of \\d+\\)")));
    QVERIFY2(!sending.isEmpty(), qPrintable(lines.join('\n')));
    const QString total = QRegularExpression(QStringLiteral("of (\\d+)\\)")).match(sending.front()).captured(1);
    QVERIFY2(first.contains(QStringLiteral("deploying to box (run 1 of 2): %1 of %1 files checked, %1 sent").arg(total)),
             qPrintable(lines.join('\n')));
    QVERIFY2(lines.contains(QStringLiteral("deploying to box (run 2 of 2): %1 of %1 files checked, 0 sent").arg(total)),
             qPrintable(lines.join('\n')));
    std::cout << "deploy lines (ssh sweep):\n  " << lines.filter(QStringLiteral("deploying")).join(QStringLiteral("\n  ")).toStdString()
              << "\n";
    std::cout << "swept box runs " << ids.join(' ').toStdString() << "\n"
              << "timing sweep of 2 on ssh (Launch -> both copied back): " << sinceLaunch.elapsed() << " ms\n";
  }

  void slurmRounds() {
    const QString projectDir = qEnvironmentVariable("ORRERY_LAUNCH_ROUNDS_PROJECT");
    if (projectDir.isEmpty())
      QSKIP("needs the Slurm test bed: run by tests/e2e/test_launch_slurm_rounds.py (ORRERY_LAUNCH_ROUNDS_PROJECT unset)");
    const QString worker = qEnvironmentVariable("ORRERY_LAUNCH_REMOTE_WORKER");
    QVERIFY(!worker.isEmpty());
    auto project = orrery::runfiles::open_project(fs::path(projectDir.toStdString()), false);
    LaunchPanel panel(project, orrery::testing::install_paths_from_env());
    QSignalSpy failed(&panel, &LaunchPanel::launchFailed);
    QSignalSpy launched(&panel, &LaunchPanel::runLaunched);
    QSignalSpy jobEnded(&panel, &LaunchPanel::slurmJobEnded);
    // Three points of different lengths (1, 2 and 3 s of steps): the tasks end one after another.
    QVERIFY(fill_slow_command(panel, worker, 1, 20));
    field<QCheckBox>(panel, QStringLiteral("sweep:argv"))->setChecked(true);
    QStringList points;
    for (int steps : {20, 40, 60}) points << QStringLiteral("/usr/bin/python3 -u %1 --steps %2 --sleep 0.05").arg(worker).arg(steps);
    field<QLineEdit>(panel, QStringLiteral("sweepValues:argv"))->setText(points.join(QStringLiteral("; ")));
    QVERIFY(panel.isValid() && panel.plannedRuns() == 3);
    QVERIFY(choose_target(panel, QStringLiteral("cluster")));
    auto* status = field<QLabel>(panel, QStringLiteral("launchStatus"));
    QElapsedTimer sinceSubmit;
    sinceSubmit.start();
    const QString script = submit_answering(panel, QDialog::Accepted);
    QVERIFY2(script.contains(QStringLiteral("--array=0-2")), qPrintable(script + status->text()));
    QVERIFY(QTest::qWaitFor([&] { return launched.count() == 3 || !failed.isEmpty(); }, kRemoteTimeoutMs));
    QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.back().front().toString()));
    QStringList ids;
    for (const auto& args : launched) ids << args.front().toString();
    QVERIFY2(QTest::qWaitFor([&] { return jobEnded.count() == 3; }, kRemoteTimeoutMs), qPrintable(status->text()));
    for (const auto& args : jobEnded)
      QVERIFY2(args.at(1).toString().startsWith(QStringLiteral("COMPLETED")), qPrintable(args.at(1).toString()));
    for (const auto& id : ids)
      QCOMPARE(orrery::testing::observed(project, id.toStdString()), std::optional(orrery::runfiles::RunStatus::Succeeded));
    std::cout << "swept cluster runs " << ids.join(' ').toStdString() << "\n"
              << "timing sweep of 3 on cluster (Submit -> every task COMPLETED, every run succeeded): " << sinceSubmit.elapsed()
              << " ms\n";
  }
};

QTEST_MAIN(TestLaunchRemote)
#include "test_launch_remote.moc"
