// The live charts panel, rendered offscreen: it draws what a store receives while a
// timer keeps appending, reduces big series per pixel column (spikes kept, raw points
// when zoomed in), and its options (band/per rank, smoothing, log y, time axes),
// legend toggles, crosshair, wheel zoom, pan and reset act on what is drawn.
#include "charts/charts_panel.hpp"
#include "charts/metric_chart.hpp"
#include "support_store.hpp"

#include <QAreaSeries>
#include <QCheckBox>
#include <QDateTimeAxis>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QSignalSpy>
#include <QSlider>
#include <QTimer>
#include <QValueAxis>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace orrery;
using orrery::panels::ChartsPanel;
using orrery::panels::LineKey;
using orrery::panels::LineRole;
using orrery::panels::MetricChart;

namespace {

double max_y(const QList<QPointF>& points) {
  double m = -INFINITY;
  for (const QPointF& p : points) m = std::max(m, p.y());
  return m;
}

// The legend entry of a run's (or rank's) main line: name, pen, visibility.
QLineSeries* main_line(MetricChart* c, int run = 0, int rank = -1) { return c->line({run, rank, LineRole::Main}); }
// The points drawn for it.
QList<QPointF> main_points(MetricChart* c, int run = 0, int rank = -1) {
  return c->linePoints({run, rank, LineRole::Main});
}
int main_count(MetricChart* c, int run = 0, int rank = -1) { return static_cast<int>(main_points(c, run, rank).size()); }

// A mouse move with no button, as a tracked pointer sends it to the chart's viewport.
void hover(MetricChart* c, QPoint pos) {
  QMouseEvent move(QEvent::MouseMove, pos, c->viewport()->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                   Qt::NoModifier);
  QApplication::sendEvent(c->viewport(), &move);
}

}  // namespace

class TestChartsPanel : public QObject {
  Q_OBJECT

 private slots:
  void drawsPointsWhileATimerAppends() {
    auto store = std::make_shared<series::SeriesStore>();
    test::append_points(*store, "run-a", "loss", 0, 0, 100, [](auto s) { return 10.0 - s * 0.01; });
    ChartsPanel panel(store);
    panel.resize(1200, 800);
    panel.show();
    QSignalSpy charts_changed(&panel, &ChartsPanel::chartsChanged);
    panel.setRuns({"run-a"}, {"A"});
    QCOMPARE(panel.charts().size(), std::size_t{1});
    MetricChart* loss = panel.chart("loss");
    QVERIFY(loss);
    QSignalSpy drawn(loss, &MetricChart::updated);
    QTRY_VERIFY_WITH_TIMEOUT(main_line(loss) && main_count(loss) == 100, 5000);

    // A live feed: 10 bursts of 50 points, then a new metric; nobody calls refresh():
    // the panel's poll of the store's generation picks them up.
    std::int64_t next = 100;
    QTimer feed;
    feed.setInterval(15);
    connect(&feed, &QTimer::timeout, [&] {
      if (next < 600) {
        test::append_points(*store, "run-a", "loss", 0, next, 50, [](auto s) { return 10.0 - s * 0.01; });
        next += 50;
      } else if (!store->find({"run-a", "metrics", "accuracy", 0})) {
        test::append_points(*store, "run-a", "accuracy", 0, 0, 600, [](auto s) { return s / 600.0; });
      }
    });
    feed.start();
    QTRY_COMPARE_WITH_TIMEOUT(main_count(loss), 600, 5000);  // < 2 points per pixel: all raw
    QTRY_VERIFY_WITH_TIMEOUT(panel.chart("accuracy") != nullptr, 5000);
    QVERIFY(charts_changed.count() >= 2);
    QTRY_VERIFY_WITH_TIMEOUT(main_line(panel.chart("accuracy")) && main_count(panel.chart("accuracy")) == 600,
                             5000);
    // Coalesced: far fewer redraws than appends would be, at least one per burst seen.
    QVERIFY(drawn.count() >= 2);
    QCOMPARE(main_points(loss).back(), QPointF(599, 10.0 - 5.99));
    feed.stop();

    // Another run overlaid: a second line with the other label.
    test::append_points(*store, "run-b", "loss", 0, 0, 300, [](auto s) { return 5.0 + s * 0.001; });
    panel.setRuns({"run-a", "run-b"}, {"A", "B"});
    QTRY_VERIFY_WITH_TIMEOUT(main_line(loss, 1) && main_count(loss, 1) == 300, 5000);
    QCOMPARE(main_line(loss, 1)->name(), QString("B"));
  }

  void keepsEverySpikeAndShowsRawPointsWhenZoomedIn() {
    auto store = std::make_shared<series::SeriesStore>();
    test::append_points(*store, "r", "loss", 0, 0, 200000, [](auto s) {
      return s == 123457 ? 1e6 : s == 54321 ? -1e6 : std::sin(static_cast<double>(s) * 0.001);
    });
    ChartsPanel panel(store);
    panel.resize(1000, 700);
    panel.show();
    panel.setRuns({"r"}, {"r"});
    MetricChart* c = panel.chart("loss");
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) > 0, 5000);
    const int columns = static_cast<int>(c->chart()->plotArea().width());
    QVERIFY(main_count(c) <= 4 * columns + 2);
    QCOMPARE(max_y(main_points(c)), 1e6);
    const auto pts = main_points(c);
    QVERIFY(std::any_of(pts.begin(), pts.end(), [](const QPointF& p) { return p.y() == -1e6; }));

    c->setXRange(1000, 1100);
    QVERIFY(!c->followsData());
    QTRY_COMPARE_WITH_TIMEOUT(main_count(c), 101 + 2, 5000);  // raw points + one neighbour each side
    QCOMPARE(main_points(c)[1], QPointF(1000, std::sin(1.0)));

    // Wheel zoom around the middle narrows the x range; a middle-button drag pans it.
    const QPoint centre = c->mapFromScene(c->chart()->mapToScene(c->chart()->plotArea().center()));
    const auto before = c->xRange();
    QWheelEvent wheel(centre, c->viewport()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(c->viewport(), &wheel);
    const auto zoomed = c->xRange();
    QVERIFY(zoomed.second - zoomed.first < 0.9 * (before.second - before.first));
    QTest::mousePress(c->viewport(), Qt::MiddleButton, {}, centre);
    QTest::mouseMove(c->viewport(), centre + QPoint(-100, 0));
    QTest::mouseRelease(c->viewport(), Qt::MiddleButton, {}, centre + QPoint(-100, 0));
    QVERIFY(c->xRange().first > zoomed.first);
    QTRY_VERIFY_WITH_TIMEOUT(main_points(c)[1].x() >= c->xRange().first - 1, 5000);

    // Double-click: the whole data again, the spike back in view.
    QTest::mouseDClick(c->viewport(), Qt::LeftButton, {}, centre);
    QVERIFY(c->followsData());
    QTRY_COMPARE_WITH_TIMEOUT(max_y(main_points(c)), 1e6, 5000);
    QCOMPARE(c->xRange(), std::make_pair(0.0, 199999.0));
  }

  void meanWithBandOrOneLinePerRank() {
    auto store = std::make_shared<series::SeriesStore>();
    for (int rank = 0; rank < 3; ++rank) {
      test::append_points(*store, "r", "loss", rank, 0, 50, [rank](auto s) { return static_cast<double>(s + rank); });
    }
    ChartsPanel panel(store);
    panel.resize(1000, 700);
    panel.show();
    panel.setRuns({"r"}, {"r"});
    MetricChart* c = panel.chart("loss");
    QTRY_VERIFY_WITH_TIMEOUT(c->hasBand(0) && c->linePoints({0, -1, LineRole::BandHigh}).size() == 50, 5000);
    QCOMPARE(c->linePoints({0, -1, LineRole::BandLow})[10], QPointF(10, 10));
    QCOMPARE(c->linePoints({0, -1, LineRole::BandHigh})[10], QPointF(10, 12));
    QCOMPARE(main_points(c)[10], QPointF(10, 11));  // the mean

    panel.findChild<QCheckBox*>("perRank")->setChecked(true);
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c, 0, 2) && main_count(c, 0, 2) == 50, 5000);
    QVERIFY(main_line(c, 0, 0) && main_line(c, 0, 1));
    QCOMPARE(main_points(c, 0, 2)[10], QPointF(10, 12));
    QVERIFY(!c->hasBand(0));
    QVERIFY(c->linePoints({0, -1, LineRole::BandHigh}).isEmpty());
    QVERIFY(!main_line(c));
    QVERIFY(!c->hasLine({0, -1, LineRole::Main}));
    QCOMPARE(main_line(c, 0, 1)->name(), QString("r · rank 1"));
  }

  void smoothingDrawsTheRawLineFaintBehind() {
    auto store = std::make_shared<series::SeriesStore>();
    test::append_points(*store, "r", "loss", 0, 0, 400, [](auto s) { return s % 2 ? 1.0 : -1.0; });
    ChartsPanel panel(store);
    panel.resize(1000, 700);
    panel.show();
    panel.setRuns({"r"}, {"r"});
    MetricChart* c = panel.chart("loss");
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) == 400, 5000);
    QVERIFY(!c->line({0, -1, LineRole::Raw}));

    panel.findChild<QSlider*>("smoothing")->setValue(90);
    QTRY_VERIFY_WITH_TIMEOUT(c->line({0, -1, LineRole::Raw}) && main_line(c) && main_count(c) == 400, 5000);
    QLineSeries* raw = c->line({0, -1, LineRole::Raw});
    const QList<QPointF> raw_points = c->linePoints({0, -1, LineRole::Raw});
    QCOMPARE(raw_points.size(), 400);
    QVERIFY(raw->pen().color().alpha() < 128);
    QCOMPARE(main_line(c)->pen().color().alpha(), 255);
    QVERIFY(std::abs(main_points(c)[399].y()) < 0.2);  // the alternation averaged out
    QCOMPARE(std::abs(raw_points[399].y()), 1.0);
    // Only the smoothed line is in the legend.
    QVERIFY(!c->chart()->legend()->markers(raw).front()->isVisible());
  }

  void logScaleAndTimeAxes() {
    auto store = std::make_shared<series::SeriesStore>();
    test::append_points(*store, "r", "loss", 0, 0, 100, [](auto s) { return static_cast<double>(s) - 10; });
    ChartsPanel panel(store);
    panel.resize(1000, 700);
    panel.show();
    panel.setRuns({"r"}, {"r"});
    MetricChart* c = panel.chart("loss");
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) == 100, 5000);

    auto o = panel.options();
    o.log_y = true;
    panel.setOptions(o);
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) == 89, 5000);  // values 1..89 only
    QVERIFY(qobject_cast<QLogValueAxis*>(c->chart()->axes(Qt::Vertical).front()));

    o.log_y = false;
    o.x_axis = panels::XAxisKind::WallTime;
    panel.setOptions(o);
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) == 100, 5000);
    QVERIFY(qobject_cast<QDateTimeAxis*>(c->chart()->axes(Qt::Horizontal).front()));
    QCOMPARE(main_points(c)[20].x(), (1.7e9 + 2.0) * 1000);

    o.x_axis = panels::XAxisKind::RelativeTime;
    panel.setOptions(o);
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) == 100 &&
                                 std::abs(main_points(c)[20].x() - 2.0) < 1e-6, 5000);
  }

  void stepsThatGoBackAreDrawnInStepOrder() {
    // A run resumed from an older checkpoint: steps 0..99, then 50..149 again.
    auto store = std::make_shared<series::SeriesStore>();
    test::append_points(*store, "r", "loss", 0, 0, 100, [](auto) { return 1.0; });
    test::append_points(*store, "r", "loss", 0, 50, 100, [](auto) { return 2.0; });
    ChartsPanel panel(store);
    panel.resize(1000, 700);
    panel.show();
    panel.setRuns({"r"}, {"r"});
    MetricChart* c = panel.chart("loss");
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c) && main_count(c) == 200, 5000);
    const auto pts = main_points(c);
    QVERIFY(std::is_sorted(pts.begin(), pts.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); }));
    // Equal steps keep their arrival order: the first life's point, then the resumed one.
    const auto at = std::find_if(pts.begin(), pts.end(), [](const QPointF& p) { return p.x() == 60; });
    QCOMPARE(at->y(), 1.0);
    QCOMPARE(std::next(at)->x(), 60.0);
    QCOMPARE(std::next(at)->y(), 2.0);
    QCOMPARE(c->xRange(), std::make_pair(0.0, 149.0));
    // Points arriving later still land in order.
    test::append_points(*store, "r", "loss", 0, 150, 10, [](auto) { return 3.0; });
    QTRY_COMPARE_WITH_TIMEOUT(main_count(c), 210, 5000);
    QCOMPARE(main_points(c).back(), QPointF(159, 3.0));
  }

  void legendTogglesAndCrosshair() {
    auto store = std::make_shared<series::SeriesStore>();
    test::append_points(*store, "a", "loss", 0, 0, 100, [](auto) { return 1.0; });
    test::append_points(*store, "b", "loss", 0, 0, 100, [](auto) { return 2.0; });
    ChartsPanel panel(store);
    panel.resize(1000, 700);
    panel.show();
    panel.setRuns({"a", "b"}, {"run A", "run B"});
    MetricChart* c = panel.chart("loss");
    QTRY_VERIFY_WITH_TIMEOUT(main_line(c, 1) && main_count(c, 1) == 100 && main_line(c, 0), 5000);

    const QPoint centre = c->mapFromScene(c->chart()->mapToScene(c->chart()->plotArea().center()));
    hover(c, centre);
    QVERIFY2(c->crosshairText().contains("run A: 1"), qPrintable(c->crosshairText()));
    QVERIFY(c->crosshairText().contains("run B: 2"));
    QVERIFY(c->crosshairText().contains("step"));

    QLegendMarker* marker = c->chart()->legend()->markers(main_line(c, 1)).front();
    emit marker->clicked();
    QVERIFY(!main_line(c, 1)->isVisible());
    QVERIFY(!c->isLineShown(1, -1));
    // Still there to click again. A graphics item reads as hidden while its legend is (the
    // legend's layout catches up from the event loop: once 1 run in 18 under 6 parallel copies).
    QTRY_VERIFY_WITH_TIMEOUT(marker->isVisible(), 5000);
    hover(c, centre + QPoint(5, 0));
    QVERIFY(c->crosshairText().contains("run A: 1"));
    QVERIFY(!c->crosshairText().contains("run B"));
    emit marker->clicked();
    QVERIFY(main_line(c, 1)->isVisible());
  }
};

QTEST_MAIN(TestChartsPanel)
#include "test_charts_panel.moc"
