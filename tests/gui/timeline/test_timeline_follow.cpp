// The rank timeline panel reading spans the way a user meets them: a real run (the
// real agent and mpirun ranks of allreduce-bench) followed while it runs and to its
// end, where the panel's timeline holds exactly the spans of run.h5; and a damaged
// run.h5 named in the panel instead of a crash. Runs offscreen, where the panel has no
// OpenGL view and says so (the view is tested in test_timeline_view under Xvfb).
#include "timeline/timeline_panel.hpp"

#include "run_testing.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_record.hpp"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <fstream>

using namespace orrery;

class TestTimelineFollow : public QObject {
  Q_OBJECT

 private slots:
  void followsARealRunToItsEnd();
  void namesADamagedFile();
};

void TestTimelineFollow::followsARealRunToItsEnd() {
  testing::TestProject test;
  const std::string id = test.launch(testing::TestProject::allreduce_spec("timeline-live", 2, 1 << 14));
  panels::TimelinePanel panel(test.project());
  QVERIFY(panel.view() == nullptr);   // offscreen: no OpenGL view, no crash
  QVERIFY(!panels::TimelinePanel::openGLProblem().isEmpty());
  QSignalSpy loaded(&panel, &panels::TimelinePanel::timelineLoaded);
  panel.setRun(QString::fromStdString(id));
  QVERIFY(panel.following());
  QCOMPARE(test.wait_final(id), runfiles::RunStatus::Succeeded);
  QTRY_VERIFY_WITH_TIMEOUT(!panel.following(), 20000);
  QVERIFY(loaded.count() >= 1);

  runfiles::RunH5Reader reader(runfiles::run_path(test.project(), id) / "run.h5");
  const auto timeline = panel.timeline();
  QVERIFY(timeline);
  QCOMPARE(timeline->lanes.size(), reader.span_ranks().size());
  std::size_t file_spans = 0;
  for (std::size_t l = 0; l < timeline->lanes.size(); ++l) {
    const auto& lane = *timeline->lanes[l];
    auto spans = reader.read_spans(lane.rank);
    file_spans += spans.size();
    QCOMPARE(lane.size(), spans.size());
    // Same spans: compare sorted starts and the names found at them.
    std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    std::vector<double> starts(lane.start);
    std::sort(starts.begin(), starts.end());
    for (std::size_t i = 0; i < spans.size(); ++i) QCOMPARE(starts[i], spans[i].start);
  }
  QVERIFY(file_spans > 0);
  QCOMPARE(timeline->span_count, file_spans);
  QVERIFY(!timeline->steps.empty());
}

void TestTimelineFollow::namesADamagedFile() {
  testing::TestProject test;
  const std::string id = runfiles::make_run_id(test.project(), "damaged");
  const auto dir = runfiles::run_path(test.project(), id);
  std::filesystem::create_directories(dir);
  runfiles::RunRecord record;
  record.id = id;
  record.name = "damaged";
  record.kind = "command";
  record.ranks = 1;
  record.status = runfiles::RunStatus::Failed;
  runfiles::write_run_record(dir, record);
  std::ofstream(dir / "run.h5") << "not an HDF5 file";
  panels::TimelinePanel panel(test.project());
  panel.setRun(QString::fromStdString(id));
  QTRY_VERIFY_WITH_TIMEOUT(!panel.problem().isEmpty(), 10000);
  QVERIFY2(panel.problem().contains("run.h5"), qPrintable(panel.problem()));
  QVERIFY(!panel.timeline() || panel.timeline()->empty());
}

QTEST_MAIN(TestTimelineFollow)
#include "test_timeline_follow.moc"
