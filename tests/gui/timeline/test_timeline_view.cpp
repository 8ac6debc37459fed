// The rank timeline panel (Dear ImGui in a QOpenGLWidget) on a run written to disk:
// rendered to an image with one lane per rank, zoom around the cursor, pan, hover
// tooltip, click selecting a step on every rank, the straggler's critical path, the
// imbalance statistics. Needs an OpenGL 3 context: ctest runs it on xcb (under
// xvfb-run in packaging/setup.sh); where no context can be made it skips.
#include "timeline/imbalance_draw.hpp"
#include "timeline/timeline_draw.hpp"
#include "timeline/timeline_panel.hpp"
#include "timeline/timeline_view.hpp"

#include "runfiles/project.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "runfiles/run_record.hpp"

#include <QApplication>
#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <set>

using namespace orrery;

namespace {

constexpr int kRanks = 6;
constexpr int kSteps = 2000;
constexpr int kSlowRank = 3;
constexpr double kT0 = 1.7e9;

// Each step: forward + backward compute, an allreduce; rank kSlowRank computes 40 % longer
// and leaves the allreduce 0.5 ms after the others (the last to finish every step).
std::vector<runfiles::SpanRecord> rank_spans(int rank) {
  std::vector<runfiles::SpanRecord> out;
  double t = kT0;
  for (int s = 0; s < kSteps; ++s) {
    const double compute = rank == kSlowRank ? 0.014 : 0.010;
    out.push_back({"compute", "forward", s, t, t + compute / 2});
    out.push_back({"compute", "backward", s, t + compute / 2, t + compute});
    out.push_back({"comm", "allreduce", s, t + compute, t + (rank == kSlowRank ? 0.0155 : 0.015)});
    t += 0.016;
  }
  return out;
}

std::string write_run(const runfiles::Project& project) {
  const std::string id = runfiles::make_run_id(project, "timeline");
  const auto dir = runfiles::run_path(project, id);
  std::filesystem::create_directories(dir);
  runfiles::RunRecord record;
  record.id = id;
  record.name = "timeline";
  record.kind = "command";
  record.ranks = kRanks;
  record.status = runfiles::RunStatus::Succeeded;
  record.created = record.started = kT0;
  record.ended = kT0 + 10;
  runfiles::write_run_record(dir, record);
  runfiles::RunH5Writer writer(dir / "run.h5", {id, "command", kRanks});
  for (int r = 0; r < kRanks; ++r) writer.append_spans(r, rank_spans(r));
  writer.close();
  return id;
}

bool is_background(QRgb p) {
  const QRgb bg = qRgb(30, 32, 36);
  return std::abs(qRed(p) - qRed(bg)) + std::abs(qGreen(p) - qGreen(bg)) + std::abs(qBlue(p) - qBlue(bg)) < 12;
}
bool is_critical_red(QRgb p) { return qRed(p) > 200 && qGreen(p) < 100 && qBlue(p) < 100; }

void send_wheel(QWidget* w, QPointF pos, int delta) {
  QWheelEvent e(pos, w->mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase,
                false);
  QApplication::sendEvent(w, &e);
}

}  // namespace

class TestTimelineView : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void rendersOneLanePerRank();
  void wheelZoomsAroundTheCursorAndDragPans();
  void hoverShowsTheSpanAndClickSelectsItsStepOnEveryRank();
  void imbalanceShowsTheSlowRankFirst();

 private:
  // Waits until the view draws a level-of-detail list made for its current view and timeline.
  bool waitForCurrentDrawList();
  QImage grab();

  QTemporaryDir dir_;
  std::optional<runfiles::Project> project_;
  std::string run_id_;
  std::unique_ptr<panels::TimelinePanel> panel_;
  panels::TimelineView* view_ = nullptr;
};

void TestTimelineView::initTestCase() {
  if (const QString why = panels::TimelinePanel::openGLProblem(); !why.isEmpty())
    QSKIP(qPrintable(why + " (ctest runs this on xcb; packaging/setup.sh provides Xvfb)"));
  QVERIFY(dir_.isValid());
  project_ = runfiles::open_project(std::filesystem::path(dir_.path().toStdString()), true);
  run_id_ = write_run(*project_);
  panel_ = std::make_unique<panels::TimelinePanel>(*project_);
  panel_->resize(1300, 420);
  panel_->show();
  QVERIFY(QTest::qWaitForWindowExposed(panel_.get()));
  view_ = panel_->view();
  QSignalSpy loaded(panel_.get(), &panels::TimelinePanel::timelineLoaded);
  panel_->setRun(QString::fromStdString(run_id_));
  QVERIFY(QTest::qWaitFor([&] { return !panel_->following(); }, 10000));
  QVERIFY(view_->glProblem().isEmpty());
  QCOMPARE(view_->timelineShown()->lanes.size(), std::size_t{kRanks});
  QCOMPARE(view_->timelineShown()->span_count, std::size_t{kRanks * kSteps * 3});
}

bool TestTimelineView::waitForCurrentDrawList() {
  return QTest::qWaitFor([&] {
    auto list = view_->drawList();
    return list && list->window.begin < view_->viewBegin() && list->window.end > view_->viewEnd() &&
           std::abs((list->window.end - list->window.begin) / 3 - (view_->viewEnd() - view_->viewBegin())) <
               1e-9 * (view_->viewEnd() - view_->viewBegin()) + 1e-12;
  }, 5000);
}

QImage TestTimelineView::grab() {
  QImage image = view_->grabFramebuffer();
  const QString dir = qEnvironmentVariable("ORRERY_TEST_ARTIFACTS", QDir::tempPath());
  QDir().mkpath(dir);
  image.save(dir + "/timeline_view.png");
  return image;
}

void TestTimelineView::rendersOneLanePerRank() {
  view_->showWholeRun();
  QVERIFY(waitForCurrentDrawList());
  const QImage image = grab();
  QVERIFY(!image.isNull());
  QCOMPARE(image.width(), view_->width());
  const auto& l = view_->layout();

  std::set<QRgb> colours;
  for (int y = 0; y < image.height(); y += 3)
    for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
  QVERIFY2(colours.size() > 10, "the image is blank");

  // Down a column through the middle of the run: one band of span colour per rank.
  const int x = static_cast<int>(l.x_at(kT0 + kSteps * 0.016 / 2));
  int bands = 0;
  bool in_band = false;
  for (int y = static_cast<int>(l.lanes_top); y < image.height(); ++y) {
    const QRgb p = image.pixel(x, y);
    const bool span = !is_background(p) && !is_critical_red(p);
    if (span && !in_band) ++bands;
    in_band = span;
  }
  QCOMPARE(bands, kRanks);
  for (int lane = 0; lane < kRanks; ++lane) {
    const int mid = static_cast<int>(l.lane_y(lane) + l.lane_height(lane) / 2);
    QVERIFY2(!is_background(image.pixel(x, mid)), qPrintable(QStringLiteral("lane %1 is empty").arg(lane)));
  }
  // The critical path: red under the slow rank's lane (it ends every step last), under no other.
  for (int lane = 0; lane < kRanks; ++lane) {
    const int below = static_cast<int>(l.lane_y(lane) + l.lane_height(lane));
    QCOMPARE(is_critical_red(image.pixel(x, below)), lane == kSlowRank);
  }
  // 36,000 spans over ~800 pixels: merged into fewer blocks, each span drawn exactly once.
  auto list = view_->drawList();
  std::size_t blocks = 0;
  for (const auto& lane : list->lanes) blocks += lane.size();
  QCOMPARE(list->drawn_spans, std::size_t{kRanks * kSteps * 3});
  QVERIFY(blocks < list->drawn_spans);
}

void TestTimelineView::wheelZoomsAroundTheCursorAndDragPans() {
  view_->showWholeRun();
  QVERIFY(waitForCurrentDrawList());
  const auto& l = view_->layout();
  const QPointF at(l.lanes_left + l.lanes_width() * 0.3, l.lane_y(1) + 4);
  const double t = l.time_at(static_cast<float>(at.x()));
  const double width = view_->viewEnd() - view_->viewBegin();
  send_wheel(view_, at, 3 * 120);   // three notches in
  QVERIFY2(std::abs((view_->viewEnd() - view_->viewBegin()) - width * std::pow(0.8, 3)) < width * 1e-6,
           qPrintable(QStringLiteral("width %1 -> %2").arg(width).arg(view_->viewEnd() - view_->viewBegin())));
  QVERIFY(std::abs(l.time_at(static_cast<float>(at.x())) - t) < l.seconds_per_pixel());   // the cursor's time stays put
  QVERIFY(waitForCurrentDrawList());

  // Drag 100 px to the right: the view moves 100 px of time to the left.
  const double begin = view_->viewBegin(), spp = l.seconds_per_pixel();
  const QPoint from = at.toPoint(), to = from + QPoint(100, 0);
  QTest::mousePress(view_, Qt::LeftButton, Qt::NoModifier, from);
  QMouseEvent move(QEvent::MouseMove, QPointF(to), view_->mapToGlobal(QPointF(to)), Qt::NoButton, Qt::LeftButton,
                   Qt::NoModifier);
  QApplication::sendEvent(view_, &move);
  QTest::mouseRelease(view_, Qt::LeftButton, Qt::NoModifier, to);
  QVERIFY(std::abs(view_->viewBegin() - (begin - 100 * spp)) < spp * 1e-6);
  QVERIFY(!view_->selectedStep());   // a drag is not a click
  QVERIFY(waitForCurrentDrawList());
}

void TestTimelineView::hoverShowsTheSpanAndClickSelectsItsStepOnEveryRank() {
  // Zoom to steps 10-12: every span wider than a pixel.
  view_->setView(kT0 + 10 * 0.016, kT0 + 13 * 0.016);
  QVERIFY(waitForCurrentDrawList());
  const auto& l = view_->layout();
  for (const auto& block : view_->drawList()->lanes[0]) QCOMPARE(block.count, 1u);
  // Inside rank 2's backward of step 11 (11 * 16 ms + 7 ms).
  const QPoint at(static_cast<int>(l.x_at(kT0 + 11 * 0.016 + 0.007)), static_cast<int>(l.lane_y(2) + 3));
  QTest::mouseMove(view_, at);
  QTRY_VERIFY(view_->hoverText().contains("rank 2"));
  QVERIFY2(view_->hoverText().contains("backward") && view_->hoverText().contains("step 11") &&
               view_->hoverText().contains("5.000 ms"),
           qPrintable(view_->hoverText()));
  // On the slow rank the tooltip says it finished the step last.
  QTest::mouseMove(view_, QPoint(at.x(), static_cast<int>(l.lane_y(kSlowRank) + 3)));
  QTRY_VERIFY(view_->hoverText().contains("rank 3"));
  QVERIFY2(view_->hoverText().contains("last rank to finish this step"), qPrintable(view_->hoverText()));

  const QImage before = grab();
  QSignalSpy selected(view_, &panels::TimelineView::stepSelected);
  QTest::mouseClick(view_, Qt::LeftButton, Qt::NoModifier, at);
  QCOMPARE(selected.count(), 1);
  QCOMPARE(selected.at(0).at(0).toLongLong(), 11);
  QCOMPARE(view_->selectedStep(), std::optional<std::int64_t>(11));
  // Step 11 highlighted on every lane: its pixels change, those of step 10 do not.
  const QImage after = grab();
  const auto changed = [&](int lane, double from, double to) {
    int n = 0;
    const int y0 = static_cast<int>(l.lane_y(lane)), y1 = static_cast<int>(l.lane_y(lane) + l.lane_height(lane));
    for (int y = y0 + 1; y < y1 - 1; ++y)
      for (int x = static_cast<int>(l.x_at(from)) + 2; x < static_cast<int>(l.x_at(to)) - 2; ++x)
        n += before.pixel(x, y) != after.pixel(x, y);
    return n;
  };
  for (int lane = 0; lane < kRanks; ++lane) {
    QVERIFY2(changed(lane, kT0 + 11 * 0.016, kT0 + 11 * 0.016 + 0.015) > 0, qPrintable(QString::number(lane)));
    QCOMPARE(changed(lane, kT0 + 10 * 0.016, kT0 + 10 * 0.016 + 0.015), 0);
  }
  // A click on empty space clears it.
  // (rank 2 waits 1 ms after each allreduce: 15.5 ms into step 11 it runs no span).
  QTest::mouseClick(view_, Qt::LeftButton, Qt::NoModifier, QPoint(static_cast<int>(l.x_at(kT0 + 11 * 0.016 + 0.0155)), at.y()));
  QVERIFY(!view_->selectedStep());
}

void TestTimelineView::imbalanceShowsTheSlowRankFirst() {
  view_->showWholeRun();
  QTRY_VERIFY_WITH_TIMEOUT(view_->imbalanceStats() && view_->imbalanceStats()->begin == view_->viewBegin(), 5000);
  const auto totals = panels::sorted_rank_totals(*view_->imbalanceStats(), *view_->timelineShown(), timeline::SpanKind::Compute);
  QCOMPARE(totals.size(), std::size_t{kRanks});
  QCOMPARE(totals.front().first, kSlowRank);
  // Times near 1.7e9 s are exact to 0.24 us only: sums of 4,000 durations to about 1 ms.
  QVERIFY2(std::abs(totals.front().second - kSteps * 0.014) < 2e-3, qPrintable(QString::number(totals.front().second)));
  QVERIFY2(std::abs(totals.back().second - kSteps * 0.010) < 2e-3, qPrintable(QString::number(totals.back().second)));
  // Ranks in each kind over time: a bin in the middle holds many steps, where five ranks are
  // busy 15 of every 16 ms and the slow one 15.5, of it 5 (10/15) or 7 (14/15.5) ms compute.
  const auto& phases = view_->imbalanceStats()->phases;
  QVERIFY(!phases.ranks.empty());
  const auto& middle = phases.ranks[phases.ranks.size() / 2];
  float busy = 0;
  for (float v : middle) busy += v;
  QVERIFY2(std::abs(busy - (5 * 15 + 15.5) / 16.0) < 0.05, qPrintable(QString::number(busy)));
  QVERIFY(std::abs(middle[0] - (5 * 10 + 14) / 16.0) < 0.05);
}

int main(int argc, char** argv) {
  // No X server to reach: run offscreen, where initTestCase finds no OpenGL and skips.
  if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariable("QT_QPA_PLATFORM") == "xcb")
    qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  TestTimelineView test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_timeline_view.moc"
