// Chart frame time: one chart of RUNS runs x POINTS points (default 10 x 1,000,000),
// rendered offscreen at 1200x700. A frame is one view step as the user makes it: the
// x range changes, the chart's reduction job runs off the UI thread (decimation per
// pixel column of every run), the UI thread swaps the points into the PlotLayer and the
// chart is painted into a QImage. Baseline, same process, same steps: a plain QChart
// whose QLineSeries hold every point, with the axis range set and the same painting.
// Also: resident memory (RSS) of the points loaded into the SeriesStore.
//
//   bench_chart_frame [RUNS] [POINTS] [BASELINE_FRAMES]     (BASELINE_FRAMES 0: no baseline)
#include "charts/metric_chart.hpp"
#include "charts/plot_export.hpp"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QImage>
#include <QLineSeries>
#include <QPainter>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace orrery;

namespace {

double rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
  }
  return 0;
}

struct Step {
  const char* kind;
  double lo, hi;
};

// 20 zoom steps in towards a point (x0.8 each), 20 back out, then 40 pans of 5% of the range.
std::vector<Step> view_steps(double x_max) {
  std::vector<Step> steps;
  double lo = 0, hi = x_max;
  const double focus = x_max * 0.37;
  for (int i = 0; i < 40; ++i) {
    const double f = i < 20 ? 0.8 : 1.25;
    lo = focus - (focus - lo) * f;
    hi = focus + (hi - focus) * f;
    steps.push_back({"zoom", lo, hi});
  }
  lo = x_max * 0.2, hi = x_max * 0.6;
  for (int i = 0; i < 40; ++i) {
    const double d = (hi - lo) * 0.05 * (i < 20 ? 1 : -1);
    lo += d, hi += d;
    steps.push_back({"pan", lo, hi});
  }
  return steps;
}

void paint(QChartView& view, QImage& image) {
  image.fill(Qt::white);
  QPainter painter(&image);
  view.render(&painter, QRectF(image.rect()), view.viewport()->rect());
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void report(const char* what, const char* kind, const std::vector<double>& ms) {
  std::printf("%-10s %-5s frames %3zu   median %8.2f ms   p95 %8.2f ms   max %8.2f ms\n", what, kind, ms.size(),
              percentile(ms, 0.5), percentile(ms, 0.95), *std::max_element(ms.begin(), ms.end()));
}

}  // namespace

int main(int argc, char** argv) {
  panels::use_offscreen_platform_without_display();
  QApplication app(argc, argv);
  const int runs = argc > 1 ? std::atoi(argv[1]) : 10;
  const long points = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  const int baseline_frames = argc > 3 ? std::atoi(argv[3]) : 6;
  const QSize size(1200, 700);

  // --- the data: random walks with rare spikes, appended in blocks as a feed would ----
  const double rss_before = rss_mib();
  auto store = std::make_shared<series::SeriesStore>();
  std::vector<panels::ChartRun> chart_runs;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 1);
  for (int r = 0; r < runs; ++r) {
    const std::string id = "run-" + std::to_string(r);
    chart_runs.push_back({id, QString::fromStdString(id)});
    auto s = store->get_or_create({id, "metrics", "loss", 0});
    std::vector<std::int64_t> steps;
    std::vector<double> times, values;
    double walk = r;
    for (long i = 0; i < points; i += 10'000) {
      steps.clear(), times.clear(), values.clear();
      for (long j = i; j < std::min(points, i + 10'000); ++j) {
        walk += noise(rng) * 0.01;
        steps.push_back(j);
        times.push_back(1.7e9 + static_cast<double>(j) * 0.01);
        values.push_back(j % 99'991 == 0 ? walk + 50 : walk);
      }
      s->append(steps, times, values);
    }
  }
  const double rss_loaded = rss_mib();
  const double total = static_cast<double>(runs) * static_cast<double>(points);
  std::printf("data: %d runs x %ld points = %.0f points (step, time, value per point)\n", runs, points, total);
  std::printf("memory: RSS %.0f MiB -> %.0f MiB: %.0f MiB for the points loaded (%.1f bytes/point; 24 stored)\n",
              rss_before, rss_loaded, rss_loaded - rss_before, (rss_loaded - rss_before) * 1048576.0 / total);

  const double x_max = static_cast<double>(points - 1);
  const auto steps = view_steps(x_max);
  QImage image(size, QImage::Format_ARGB32_Premultiplied);

  // --- Orrery's chart --------------------------------------------------------------
  {
    panels::MetricChart chart(store, "loss");
    chart.setAttribute(Qt::WA_DontShowOnScreen);
    chart.resize(size);
    chart.show();
    QElapsedTimer t;
    t.start();
    chart.setRuns(chart_runs);
    chart.updateNow();
    paint(chart, image);
    std::printf("orrery: first frame (whole data) %.1f ms, %d points drawn\n", t.nsecsElapsed() / 1e6,
                chart.drawnPointCount());
    std::vector<double> zoom_ms, pan_ms, reduce_ms, paint_ms, view_ms;
    for (const Step& s : steps) {
      QEventLoop wait;
      QObject::connect(&chart, &panels::MetricChart::updated, &wait, &QEventLoop::quit);
      t.restart();
      chart.setXRange(s.lo, s.hi);  // starts the reduction job off the UI thread
      view_ms.push_back(t.nsecsElapsed() / 1e6);
      wait.exec();                  // until its points are swapped in
      reduce_ms.push_back(t.nsecsElapsed() / 1e6);
      paint(chart, image);
      (std::string(s.kind) == "zoom" ? zoom_ms : pan_ms).push_back(t.nsecsElapsed() / 1e6);
      paint_ms.push_back(t.nsecsElapsed() / 1e6 - reduce_ms.back());
    }
    // ORRERY_BENCH_IMAGE=FILE.png keeps the last frame, to look at what was drawn.
    if (const char* keep = std::getenv("ORRERY_BENCH_IMAGE")) image.save(QString::fromLocal8Bit(keep));
    report("orrery", "zoom", zoom_ms);
    report("orrery", "pan", pan_ms);
    std::printf("orrery: of which view change + reduction + replace: median %.2f ms, max %.2f ms\n",
                percentile(reduce_ms, 0.5),
                *std::max_element(reduce_ms.begin(), reduce_ms.end()));
    std::printf("orrery: of which the axis range change on the UI thread (Qt Charts' layout): median %.2f ms\n",
                percentile(view_ms, 0.5));
    std::printf("orrery: of which painting the chart into the image: median %.2f ms, max %.2f ms\n",
                percentile(paint_ms, 0.5), *std::max_element(paint_ms.begin(), paint_ms.end()));
  }
  // --- the reduction alone (what runs off the UI thread), same steps, one thread ---------
  {
    panels::ReducerCache cache;
    panels::ReduceRequest rq;
    rq.store = store;
    rq.metric = "loss";
    rq.runs = chart_runs;
    rq.columns = 1128;  // the plot area's width at 1200x700
    QElapsedTimer t;
    t.start();
    rq.follow_data = true;
    panels::reduce_for_view(rq, cache);
    std::printf("reduction: first (whole data, block summaries built) %.1f ms\n", t.nsecsElapsed() / 1e6);
    std::vector<double> zoom_ms, pan_ms;
    rq.follow_data = false;
    for (const Step& s : steps) {
      rq.x_min = s.lo, rq.x_max = s.hi;
      t.restart();
      const auto r = panels::reduce_for_view(rq, cache);
      (std::string(s.kind) == "zoom" ? zoom_ms : pan_ms).push_back(t.nsecsElapsed() / 1e6);
      if (r.lines.empty()) return 1;
    }
    report("reduction", "zoom", zoom_ms);
    report("reduction", "pan", pan_ms);
  }
  const double rss_after_orrery = rss_mib();

  // --- baseline: every point in plain QLineSeries ------------------------------------
  if (baseline_frames > 0) {
    QElapsedTimer t;
    t.start();
    auto* chart = new QChart();
    auto* x = new QValueAxis();
    auto* y = new QValueAxis();
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    double y_lo = INFINITY, y_hi = -INFINITY;
    for (const auto& run : chart_runs) {
      auto* line = new QLineSeries();
      QList<QPointF> pts;
      pts.reserve(points);
      store->find({run.run_id, "metrics", "loss", 0})->read([&](const series::Columns& c) {
        for (std::size_t i = 0; i < c.values.size(); ++i) {
          pts.append(QPointF(static_cast<double>(c.steps[i]), c.values[i]));
          y_lo = std::min(y_lo, c.values[i]), y_hi = std::max(y_hi, c.values[i]);
        }
      });
      line->replace(pts);
      chart->addSeries(line);
      line->attachAxis(x);
      line->attachAxis(y);
    }
    y->setRange(y_lo, y_hi);
    x->setRange(0, x_max);
    QChartView view(chart);
    view.setAttribute(Qt::WA_DontShowOnScreen);
    view.resize(size);
    view.show();
    paint(view, image);
    std::printf("baseline: load + first frame %.1f ms; RSS now %.0f MiB (%.0f MiB more than with Orrery's chart)\n",
                t.nsecsElapsed() / 1e6, rss_mib(), rss_mib() - rss_after_orrery);
    std::vector<double> zoom_ms, pan_ms;
    // The same steps, spread over the sequence (every frame costs seconds).
    const std::size_t stride = std::max<std::size_t>(1, steps.size() / static_cast<std::size_t>(std::max(1, baseline_frames)));
    for (std::size_t i = 0; i < steps.size(); i += stride) {
      t.restart();
      x->setRange(steps[i].lo, steps[i].hi);
      paint(view, image);
      (std::string(steps[i].kind) == "zoom" ? zoom_ms : pan_ms).push_back(t.nsecsElapsed() / 1e6);
    }
    if (!zoom_ms.empty()) report("baseline", "zoom", zoom_ms);
    if (!pan_ms.empty()) report("baseline", "pan", pan_ms);
  }
  return 0;
}
