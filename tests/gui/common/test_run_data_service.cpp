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
#include "run_testing.hpp"

#include <QApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <csignal>
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
    std::printf("repairs %d\nfeed %llu\nend\n", service->repairs(), static_cast<unsigned long long>(service->feedPoints()));
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
  void reattachesRepeatedlyUnderLoad();
  void anAgentKilledMidRunReadsLostAndTheStoreEqualsTheFile();
};

void RunDataServiceTest::historyThenFeedWithoutGapAcrossARestart() {
  testing::TestProject prj;
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
  QVERIFY(service->feedPoints() > 0);   // live points came from the feed, not only from run.h5

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
  // After the re-attach most of the remaining points came live from the feed.
  QVERIFY2(service->feedPoints() * 3 > total_points(*store2, id) - reattached,
           qPrintable(QString("feed %1 of %2").arg(service->feedPoints()).arg(total_points(*store2, id) - reattached)));
  service.reset();                   // its I/O thread is gone: HDF5 is ours now
  const auto in_file = testing::file_counts(prj.project(), id);
  const auto in_store = testing::store_counts(*store2, id);
  QVERIFY2(in_store == in_file, qPrintable(QString::fromStdString("store " + describe(in_store) + "\nfile " + describe(in_file))));
  QCOMPARE(in_file.at({"metrics", 0, "loss"}), std::size_t{700});
  QCOMPARE(in_file.at({"metrics", 1, "lr"}), std::size_t{700});
}

void RunDataServiceTest::aKilledGuiProcessLeavesTheRunAloneAndANewOneReattaches() {
  testing::TestProject prj;
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
  unsigned long long feed_points = 0;
  std::istringstream lines(out.toStdString());
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what;
    words >> what;
    if (what == "repairs") words >> repairs;
    if (what == "feed") words >> feed_points;
    if (what != "series") continue;
    orrery::runfiles::SeriesKey key;
    std::size_t count = 0;
    words >> key.group >> key.rank >> key.name >> count;
    in_child[key] = count;
  }
  QCOMPARE(repairs, 0);
  QVERIFY(feed_points > 0);   // the re-attached process followed the live feed
  const auto in_file = testing::file_counts(prj.project(), id);
  QVERIFY2(in_child == in_file, qPrintable(QString::fromStdString("child " + describe(in_child) + "\nfile " + describe(in_file))));
  QCOMPARE(in_file.at({"metrics", 0, "loss"}), std::size_t{600});
  QCOMPARE(in_file.at({"metrics", 1, "loss"}), std::size_t{600});
}

void RunDataServiceTest::unwatchingRemovesTheRunsSeries() {
  testing::TestProject prj;
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
  QTRY_VERIFY_WITH_TIMEOUT(arrived.count() >= 1, 5000);   // the signal follows the store within ~50 ms
  QCOMPARE(arrived.last().at(0).toStringList(), QStringList{qid});
  service.watchRuns({});
  QTRY_VERIFY_WITH_TIMEOUT(store->keys_of_run(id).empty(), 10000);
}

// 2 ranks × 1,000 lines/s (2 metrics each): services come and go every ~0.7 s while the
// run lives, each attaching in the middle of heavy traffic; every one stays exact.
void RunDataServiceTest::reattachesRepeatedlyUnderLoad() {
  testing::TestProject prj;
  const auto id = prj.launch_ticker("busy", 2, 5000, 1000);
  const auto qid = QString::fromStdString(id);
  QTRY_COMPARE_WITH_TIMEOUT(prj.observed(id), orrery::runfiles::RunStatus::Running, 30000);
  std::shared_ptr<SeriesStore> store;
  std::unique_ptr<RunDataService> service;
  QStringList problems;
  int attaches = 0;
  std::uint64_t feed_total = 0;
  while (prj.observed(id) == orrery::runfiles::RunStatus::Running && attaches < 6) {
    if (service) feed_total += service->feedPoints();
    service.reset();
    store = std::make_shared<SeriesStore>();
    service = std::make_unique<RunDataService>(prj.project(), store);
    connect(service.get(), &RunDataService::dataArrived, this, [&, s = store.get()] {
      if (auto p = testing::consecutive_steps_problem(*s, id); !p.empty()) problems << QString::fromStdString(p);
    });
    service->watchRuns({qid});
    ++attaches;
    QTest::qWait(700);
  }
  QVERIFY(attaches >= 2);
  QTRY_COMPARE_WITH_TIMEOUT(service->runStatus(qid), QString("succeeded"), 60000);
  QVERIFY(feed_total + service->feedPoints() > 0);
  QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
  QCOMPARE(service->repairs(), 0);
  service.reset();
  const auto in_file = testing::file_counts(prj.project(), id);
  QVERIFY2(testing::store_counts(*store, id) == in_file, describe(in_file).c_str());
  QCOMPARE(in_file.at({"metrics", 1, "loss"}), std::size_t{5000});
}

// An agent that dies takes its ranks with it; the run reads "lost" and its data up to the
// last flush stays: the store ends equal to that file, feed points past it dropped.
void RunDataServiceTest::anAgentKilledMidRunReadsLostAndTheStoreEqualsTheFile() {
  testing::TestProject prj;
  const auto id = prj.launch_ticker("doomed", 2, 3000, 200);
  const auto qid = QString::fromStdString(id);
  auto store = std::make_shared<SeriesStore>();
  auto service = std::make_unique<RunDataService>(prj.project(), store);
  service->watchRuns({qid});
  QTRY_VERIFY_WITH_TIMEOUT(total_points(*store, id) > 200, 30000);
  QCOMPARE(service->runStatus(qid), QString("running"));
  const auto pid = prj.record(id).agent.pid;
  QVERIFY(pid > 0);
  QCOMPARE(::kill(pid, SIGKILL), 0);
  QTRY_COMPARE_WITH_TIMEOUT(service->runStatus(qid), QString("lost"), 30000);
  QVERIFY(total_points(*store, id) > 0);
  service.reset();   // its I/O thread is gone: HDF5 is ours now
  const auto in_store = testing::store_counts(*store, id);
  const auto in_file = testing::file_counts(prj.project(), id);
  QVERIFY2(in_store == in_file, qPrintable(QString::fromStdString("store " + describe(in_store) + "\nfile " + describe(in_file))));
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--follow") return follow(argc, argv);
  QApplication app(argc, argv);
  RunDataServiceTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_run_data_service.moc"
