// The cluster panel: targets listed with their state, Test connection run off the UI thread
// through the same check as `orrery targets test`, and the host-key question.
//   offline (always): a local target passes; an ssh target nobody listens for fails with why;
//     Cancel kills a check that hangs (a port that never answers) at once; Refresh checks all.
//   testBeds (run by tests/e2e/test_cluster_panel.py, which starts a real sshd on 127.0.0.1 and
//     a real single-node Slurm and passes their project in ORRERY_CLUSTER_PROJECT): the ssh
//     target reachable with its MPI version; the Slurm target's partition from sinfo and the
//     test's job in the queue, on this machine and through the ssh target ("via"); an unknown host key asked about with the fingerprint the bed's
//     key has, trusted on Yes (recorded, then the check passes) and left failed on No.
#include "cluster/cluster_panel.hpp"
#include "cluster/target_checker.hpp"
#include "cluster/target_list_model.hpp"

#include <QCheckBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using orrery::panels::ClusterPanel;

namespace {

constexpr int kCheckTimeoutMs = 30000;

QString labelText(const ClusterPanel& panel, const char* name) {
  auto* label = panel.findChild<QLabel*>(name);
  return label ? label->text() : QStringLiteral("<no label %1>").arg(name);
}

// Presses Test connection on that target and waits until its check has ended.
void pressTest(ClusterPanel& panel, const QString& target) {
  panel.selectTarget(target);
  QCOMPARE(panel.selectedTarget(), target);
  QSignalSpy finished(&panel.checker(), &orrery::panels::TargetChecker::finished);
  panel.findChild<QPushButton*>("cluster.test")->click();
  QVERIFY2(QTest::qWaitFor([&] { return !panel.checker().running(target) && panel.checker().lastCheck(target); }, kCheckTimeoutMs),
           qPrintable(target + " was still being checked"));
}

bool tableHas(const ClusterPanel& panel, const char* name, int column, const QString& text) {
  auto* table = panel.findChild<QTableWidget*>(name);
  for (int r = 0; table && r < table->rowCount(); ++r)
    if (table->item(r, column) && table->item(r, column)->text() == text) return true;
  return false;
}

QString readFile(const QString& path) {
  std::ifstream in(path.toStdString());
  return QString::fromStdString(std::string(std::istreambuf_iterator<char>(in), {}));
}

// Waits for the host-key question the panel opens, and answers it.
QString answerHostKey(ClusterPanel& panel, const QString& target, QMessageBox::StandardButton answer) {
  QMessageBox* box = nullptr;
  auto connection = QObject::connect(&panel, &ClusterPanel::hostKeyAsked, [&](QMessageBox* b) { box = b; });
  panel.selectTarget(target);
  panel.findChild<QPushButton*>("cluster.test")->click();
  bool asked = QTest::qWaitFor([&] { return box != nullptr; }, kCheckTimeoutMs);
  QObject::disconnect(connection);
  if (!asked) return {};
  const QString text = box->text();
  box->button(answer)->click();
  const bool ended = QTest::qWaitFor([&] { return !panel.checker().running(target); }, kCheckTimeoutMs);
  return ended ? text : QStringLiteral("(the check after the answer did not end)");
}

// A TCP port on loopback that accepts connections (the kernel's backlog) but never says a word:
// ssh waits there for the server's banner until its ConnectTimeout (10 s).
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { if (fd_ >= 0) ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1, port_ = 0;
};

}  // namespace

class TestClusterPanel : public QObject {
  Q_OBJECT
 private slots:
  void offline();
  void testBeds();
};

void TestClusterPanel::offline() {
  QTemporaryDir dir;
  SilentListener silent;
  QVERIFY(silent.port() > 0);
  // Port 1 on loopback: nobody listens there, the connection is refused at once.
  nlohmann::json settings = {{"targets",
                              {{"local", {{"type", "local"}}},
                               {"nowhere", {{"type", "ssh"}, {"host", "127.0.0.1"}, {"port", 1}}},
                               {"silent", {{"type", "ssh"}, {"host", "127.0.0.1"}, {"port", silent.port()}}},
                               {"bad", {{"type", "ssh"}, {"host", "-oProxyCommand=x"}}}}}};
  std::ofstream(dir.filePath("orrery.json").toStdString()) << settings.dump();
  auto project = orrery::runfiles::open_project(dir.path().toStdString(), false);
  ClusterPanel panel(project, orrery::launch::InstallPaths::from_executable());
  panel.findChild<QCheckBox*>("cluster.autoRefresh")->setChecked(false);
  panel.show();

  QCOMPARE(panel.model().rowCount(), 3);   // the invalid target is left out, and said so
  QVERIFY2(labelText(panel, "cluster.issues").contains("$.targets.bad.host"), qPrintable(labelText(panel, "cluster.issues")));
  QCOMPARE(panel.model().stateText("nowhere"), QString("not checked"));

  pressTest(panel, "local");
  QCOMPARE(panel.model().stateText("local"), QString("reachable"));
  QCOMPARE(labelText(panel, "cluster.connection"), QString("this machine"));

  pressTest(panel, "nowhere");
  QCOMPARE(panel.model().stateText("nowhere"), QString("unreachable"));
  QVERIFY2(labelText(panel, "cluster.connection").contains("cannot connect to 127.0.0.1:1"),
           qPrintable(labelText(panel, "cluster.connection")));
  QVERIFY2(QRegularExpression("^unreachable \\(checked \\d\\d:\\d\\d:\\d\\d\\)$").match(labelText(panel, "cluster.state")).hasMatch(),
           qPrintable(labelText(panel, "cluster.state")));

  // Cancel ends a check under way at once (ssh is killed; it would wait 10 s for the banner) and
  // stops the background refresh.
  panel.selectTarget("silent");
  panel.findChild<QPushButton*>("cluster.test")->click();
  QVERIFY(panel.checker().running("silent"));
  QCOMPARE(labelText(panel, "cluster.state"), QString("checking…"));
  // The UI thread keeps running while the check waits: a 10 ms timer keeps firing.
  int ticks = 0;
  QTimer ticker;
  QObject::connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
  ticker.start(10);
  QTest::qWait(300);
  ticker.stop();
  QVERIFY(panel.checker().running("silent"));
  QVERIFY2(ticks >= 10, qPrintable(QString::number(ticks) + " ticks of 10 ms in 300 ms while a check waited"));
  QElapsedTimer cancelling;
  cancelling.start();
  panel.findChild<QPushButton*>("cluster.cancel")->click();
  QVERIFY(!panel.findChild<QCheckBox*>("cluster.autoRefresh")->isChecked());
  QVERIFY(QTest::qWaitFor([&] { return !panel.checker().running("silent"); }, kCheckTimeoutMs));
  QVERIFY2(cancelling.elapsed() < 3000, qPrintable(QString::number(cancelling.elapsed()) + " ms to cancel"));
  QCOMPARE(panel.model().stateText("silent"), QString("cancelled"));

  // Refresh reads orrery.json again (a target added, the invalid one fixed) and checks every target.
  settings["targets"]["added"] = {{"type", "ssh"}, {"host", "127.0.0.1"}, {"port", 1}};
  settings["targets"]["bad"]["host"] = "127.0.0.1";
  settings["targets"]["bad"]["port"] = 1;
  std::ofstream(dir.filePath("orrery.json").toStdString()) << settings.dump();
  panel.findChild<QPushButton*>("cluster.refresh")->click();
  QVERIFY(QTest::qWaitFor([&] { return panel.model().rowCount() == 5; }, kCheckTimeoutMs));
  QVERIFY(panel.model().rowOf("added") >= 0 && panel.model().rowOf("bad") >= 0);
  QVERIFY(labelText(panel, "cluster.issues").isEmpty());
  QCOMPARE(panel.selectedTarget(), QString("silent"));   // the selection stays on its target
  QVERIFY(QTest::qWaitFor([&] { return panel.model().stateText("added") == "unreachable" &&
                                       panel.model().stateText("bad") == "unreachable"; }, kCheckTimeoutMs));
  panel.checker().cancelAll();
  QVERIFY(QTest::qWaitFor([&] { return !panel.checker().anyRunning(); }, kCheckTimeoutMs));

  // A damaged orrery.json keeps the targets read before and says why.
  std::ofstream(dir.filePath("orrery.json").toStdString()) << "{\"targets\": ";
  panel.findChild<QPushButton*>("cluster.refresh")->click();
  QVERIFY(QTest::qWaitFor([&] { return labelText(panel, "cluster.issues").contains("could not be read"); }, kCheckTimeoutMs));
  QCOMPARE(panel.model().rowCount(), 5);
  panel.checker().cancelAll();
  QVERIFY(QTest::qWaitFor([&] { return !panel.checker().anyRunning(); }, kCheckTimeoutMs));
}

void TestClusterPanel::testBeds() {
  const QString projectDir = qEnvironmentVariable("ORRERY_CLUSTER_PROJECT");
  if (projectDir.isEmpty()) QSKIP("needs the sshd and Slurm test beds: run by tests/e2e/test_cluster_panel.py");
  const QString fingerprint = qEnvironmentVariable("ORRERY_CLUSTER_FINGERPRINT");
  const QString job = qEnvironmentVariable("ORRERY_CLUSTER_JOB");
  auto project = orrery::runfiles::open_project(projectDir.toStdString(), false);
  ClusterPanel panel(project, orrery::launch::InstallPaths::from_executable());
  panel.findChild<QCheckBox*>("cluster.autoRefresh")->setChecked(false);
  panel.show();

  pressTest(panel, "lo");
  QCOMPARE(panel.model().stateText("lo"), QString("reachable"));
  QVERIFY2(labelText(panel, "cluster.connection").startsWith("connected to"), qPrintable(labelText(panel, "cluster.connection")));
  QVERIFY2(labelText(panel, "cluster.mpi").contains("Open MPI"), qPrintable(labelText(panel, "cluster.mpi")));

  pressTest(panel, "cluster");
  QCOMPARE(panel.model().stateText("cluster"), QString("reachable"));
  QVERIFY2(labelText(panel, "cluster.slurm").contains("slurm"), qPrintable(labelText(panel, "cluster.slurm")));
  QVERIFY2(tableHas(panel, "cluster.partitions", 0, "debug*"), "partition debug (the default) not listed from sinfo");
  QVERIFY2(tableHas(panel, "cluster.queue", 0, job), qPrintable("job " + job + " not in the queue"));

  // The same cluster through the ssh target's login node ("via": sinfo and squeue over ssh).
  pressTest(panel, "login");
  QCOMPARE(panel.model().stateText("login"), QString("reachable"));
  QVERIFY2(labelText(panel, "cluster.slurm").contains("@127.0.0.1:"), qPrintable(labelText(panel, "cluster.slurm")));
  QVERIFY2(tableHas(panel, "cluster.queue", 0, job), qPrintable("job " + job + " not in the queue seen through ssh"));

  // Declined: no key recorded, the target stays failed and says why.
  const QString refusedKnownHosts = projectDir + "/known_hosts.refused";
  QString text = answerHostKey(panel, "refused", QMessageBox::No);
  QVERIFY2(text.contains(fingerprint), qPrintable("fingerprint " + fingerprint + " not in: " + text));
  QCOMPARE(panel.model().stateText("refused"), QString("unreachable"));
  QVERIFY2(labelText(panel, "cluster.connection").contains("was not trusted"), qPrintable(labelText(panel, "cluster.connection")));
  QVERIFY(!readFile(refusedKnownHosts).contains("ssh-ed25519"));

  // Trusted: the key is recorded in the target's known_hosts and the check runs again and passes.
  const QString strangerKnownHosts = projectDir + "/known_hosts.stranger";
  text = answerHostKey(panel, "stranger", QMessageBox::Yes);
  QVERIFY2(text.contains(fingerprint), qPrintable(text));
  QVERIFY2(QTest::qWaitFor([&] { return panel.model().stateText("stranger") == "reachable"; }, kCheckTimeoutMs),
           qPrintable(panel.model().stateText("stranger") + ": " + labelText(panel, "cluster.connection")));
  QVERIFY2(labelText(panel, "cluster.mpi").contains("Open MPI"), qPrintable(labelText(panel, "cluster.mpi")));
  QVERIFY(readFile(strangerKnownHosts).contains("ssh-ed25519"));
}

QTEST_MAIN(TestClusterPanel)
#include "test_cluster_panel.moc"
