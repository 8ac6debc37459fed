// RunDataService (panels/common/run_data_service.cpp) against real runs: a 2-rank
// `command` run of ticker.py under the real agent and mpirun. Points arrive while
// the run lives, a service destroyed and created again mid-run (a GUI restart)
// re-attaches with no gap and no duplicate, and the store ends equal to run.h5.
// A GUI process SIGKILLed mid-run leaves the run alone.
//
// The test binary re-executes itself as that GUI process: `--follow <project> <run>`
// watches the run, prints "points N" as data arrives, and at the run's end prints one
// "series <group> <rank> <name> <count>" line per series of its store, then "end".

#include "common/run_data_service.hpp"
#include "support_project.hpp"

#include <QApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

using orrery::panels::RunDataService;
using orrery::series::SeriesStore;
namespace testing = orrery::testing;

namespace {

std::size_t total_points(const SeriesStore& store, const std::string& run_id) {
  std::size_t n = 0;
  for (const auto& [key, count] : testing::store_counts(store, run_id))
    if (key.group == "metrics") n += count;
  return n;
}

std::string describe(const std::map<orrery::runfiles::SeriesKey, std::size_t>& counts) {
  std::ostringstream out;
  for (const auto& [key, count] : counts) out << key.group << "/" << key.rank << "/" << key.name << "=" << count << " ";
  return out.str();
}

// The child process: a minimal "GUI" holding a RunDataService.
int follow(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  const auto project = orrery::runfiles::open_project(std::filesystem::path(argv[2]), false);
  const std::string run_id = argv[3];
  auto store = std::make_shared<SeriesStore>();
  auto service = std::make_unique<RunDataService>(project, store);
  QObject::connect(service.get(), &RunDataService::dataArrived, [&] {
    std::printf("points %zu\n", total_points(*store, run_id));
    std::fflush(stdout);
  });
  QObject::connect(service.get(), &RunDataService::runStatusChanged, [&](const QString&, const QString& status) {
    auto parsed = orrery::runfiles::parse_status(status.toStdString());
    if (!parsed || !orrery::runfiles::is_final(*parsed)) return;
    // The store is reconciled with run.h5 before the final status is announced.
    for (const auto& [key, count] : testing::store_counts(*store, run_id))
      std::printf("series %s %d %s %zu\n", key.group.c_str(), key.rank, key.name.c_str(), count);
    std::printf("repairs %d\nend\n", service->repairs());
    std::fflush(stdout);
    QCoreApplication::quit();
  });
  service->watchRuns({QString::fromStdString(run_id)});
  return app.exec();
}

}  // namespace

class RunDataServiceTest : public QObject {
  Q_OBJECT

 private slots:
  void historyThenFeedWithoutGapAcrossARestart();
  void aKilledGuiProcessLeavesTheRunAloneAndANewOneReattaches();
  void unwatchingRemovesTheRunsSeries();
};

void RunDataServiceTest::historyThenFeedWithoutGapAcrossARestart() {
  testing::RunsTestProject prj;
  const auto id = prj.launch_ticker("splice", 2, 700, 100);   // ~7 s
  const auto qid = QString::fromStdString(id);
  QStringList problems;

  auto store = std::make_shared<SeriesStore>();
  auto service = std::make_unique<RunDataService>(prj.project(), store);
  QSignalSpy arrived(service.get(), &RunDataService::dataArrived);
  auto check = [&] {
    if (auto p = testing::consecutive_steps_problem(*store, id); !p.empty()) problems << QString::fromStdString(p);
  };
  connect(service.get(), &RunDataService::dataArrived, this, check);
  service->watchRuns({qid});
  QTRY_COMPARE_WITH_TIMEOUT(service->runStatus(qid), QString("running"), 30000);
  // Points keep arriving while the run lives (the feed, not only the file at the end).
  QTRY_VERIFY_WITH_TIMEOUT(total_points(*store, id) > 0, 20000);
  const auto first = total_points(*store, id);
  const int emissions = arrived.count();
  QTRY_VERIFY_WITH_TIMEOUT(total_points(*store, id) >= first + 100 && arrived.count() >= emissions + 3, 20000);
  QCOMPARE(service->runStatus(qid), QString("running"));
  QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));

  // The GUI closes mid-run and opens again: a new service with a new store.
  service.reset();
  QCOMPARE(prj.observed(id), orrery::runfiles::RunStatus::Running);
  auto store2 = std::make_shared<SeriesStore>();
  store = store2;
  service = std::make_unique<RunDataService>(prj.project(), store2);
  connect(service.get(), &RunDataService::dataArrived, this, check);
  service->watchRuns({qid});
  QTRY_VERIFY_WITH_TIMEOUT(total_points(*store2, id) > 0, 20000);
  QCOMPARE(service->runStatus(qid), QString("running"));
  const auto reattached = total_points(*store2, id);
  QTRY_VERIFY_WITH_TIMEOUT(total_points(*store2, id) > reattached, 20000);
  QVERIFY(prj.observed(id) == orrery::runfiles::RunStatus::Running || total_points(*store2, id) == 2800u);

  QTRY_COMPARE_WITH_TIMEOUT(service->runStatus(qid), QString("succeeded"), 60000);
  QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
  QCOMPARE(service->repairs(), 0);   // the live splice was exact: nothing to re-read at the end
  service.reset();                   // its I/O thread is gone: HDF5 is ours now
  const auto in_file = testing::file_counts(prj.project(), id);
  const auto in_store = testing::store_counts(*store2, id);
  QVERIFY2(in_store == in_file, qPrintable(QString::fromStdString("store " + describe(in_store) + "\nfile " + describe(in_file))));
  QCOMPARE(in_file.at({"metrics", 0, "loss"}), std::size_t{700});
  QCOMPARE(in_file.at({"metrics", 1, "lr"}), std::size_t{700});
}

void RunDataServiceTest::aKilledGuiProcessLeavesTheRunAloneAndANewOneReattaches() {
  testing::RunsTestProject prj;
  const auto id = prj.launch_ticker("survivor", 2, 600, 100);
  const QStringList args{"--follow", QString::fromStdString(prj.project().root.string()), QString::fromStdString(id)};

  QProcess gui;
  gui.setProcessChannelMode(QProcess::ForwardedErrorChannel);
  gui.start(QCoreApplication::applicationFilePath(), args);
  QVERIFY(gui.waitForStarted());
  QByteArray seen;
  QTRY_VERIFY_WITH_TIMEOUT((seen += gui.readAllStandardOutput()).contains("points "), 30000);
  gui.kill();   // SIGKILL: no destructor, no goodbye to the agent
  QTRY_COMPARE_WITH_TIMEOUT(gui.state(), QProcess::NotRunning, 5000);
  QCOMPARE(gui.exitStatus(), QProcess::CrashExit);
  QCOMPARE(prj.observed(id), orrery::runfiles::RunStatus::Running);

  QProcess again;
  again.setProcessChannelMode(QProcess::ForwardedErrorChannel);
  again.start(QCoreApplication::applicationFilePath(), args);
  QVERIFY(again.waitForStarted());
  QByteArray out;
  QTRY_VERIFY_WITH_TIMEOUT((out += again.readAllStandardOutput()).contains("\nend\n"), 90000);
  QTRY_COMPARE_WITH_TIMEOUT(again.state(), QProcess::NotRunning, 10000);
  QCOMPARE(again.exitStatus(), QProcess::NormalExit);
  QCOMPARE(again.exitCode(), 0);
  QVERIFY2(out.contains("points "), out.constData());   // it saw data while the run lived

  QCOMPARE(prj.wait_final(id), orrery::runfiles::RunStatus::Succeeded);
  std::map<orrery::runfiles::SeriesKey, std::size_t> in_child;
  int repairs = -1;
  std::istringstream lines(out.toStdString());
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what;
    words >> what;
    if (what == "repairs") words >> repairs;
    if (what != "series") continue;
    orrery::runfiles::SeriesKey key;
    std::size_t count = 0;
    words >> key.group >> key.rank >> key.name >> count;
    in_child[key] = count;
  }
  QCOMPARE(repairs, 0);
  const auto in_file = testing::file_counts(prj.project(), id);
  QVERIFY2(in_child == in_file, qPrintable(QString::fromStdString("child " + describe(in_child) + "\nfile " + describe(in_file))));
  QCOMPARE(in_file.at({"metrics", 0, "loss"}), std::size_t{600});
  QCOMPARE(in_file.at({"metrics", 1, "loss"}), std::size_t{600});
}

void RunDataServiceTest::unwatchingRemovesTheRunsSeries() {
  testing::RunsTestProject prj;
  const auto id = prj.launch_ticker("short", 2, 50, 200);
  QCOMPARE(prj.wait_final(id), orrery::runfiles::RunStatus::Succeeded);
  const auto qid = QString::fromStdString(id);
  auto store = std::make_shared<SeriesStore>();
  RunDataService service(prj.project(), store);
  QSignalSpy arrived(&service, &RunDataService::dataArrived);
  service.watchRuns({qid, "../escape", qid});
  QCOMPARE(service.watchedRuns(), QStringList{qid});   // a hostile id is never watched
  QTRY_COMPARE_WITH_TIMEOUT(service.runStatus(qid), QString("succeeded"), 20000);
  QTRY_VERIFY_WITH_TIMEOUT(total_points(*store, id) == 200u, 20000);   // 2 ranks × loss, lr × 50
  QVERIFY(arrived.count() >= 1);
  QCOMPARE(arrived.last().at(0).toStringList(), QStringList{qid});
  service.watchRuns({});
  QTRY_VERIFY_WITH_TIMEOUT(store->keys_of_run(id).empty(), 10000);
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--follow") return follow(argc, argv);
  QApplication app(argc, argv);
  RunDataServiceTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_run_data_service.moc"
