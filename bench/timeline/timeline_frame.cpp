// Frame time of the rank timeline while zooming and panning: RANKS lanes of SPANS spans
// each (synthetic training steps: forward, backward with an overlapping allreduce,
// optimizer, some I/O, checkpoints and idle waits; per-rank jitter), in the real
// TimelineView (Dear ImGui in a QOpenGLWidget) on the platform given (xcb under Xvfb:
// Mesa llvmpipe renders). A frame = one input event dispatched + repaint() + glFinish(),
// so the GPU's (here llvmpipe's) work is counted. Level-of-detail results arrive from the
// worker between frames, as they would on screen; its compute time is reported apart.
// A frame ends when Qt says the window was swapped (QOpenGLWidget::frameSwapped), not when
// repaint() returns: under Xvfb at some window sizes repaint() returns at once and the
// paint happens later from the event loop, which once gave impossible 0.1 ms "frames".
//
//   bench_timeline_frame [RANKS] [SPANS] [WIDTH] [HEIGHT]
#include "timeline/level_of_detail.hpp"
#include "timeline/timeline.hpp"
#include "timeline/timeline_view.hpp"

#include <QApplication>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QOpenGLWidget>
#include <QTest>
#include <QWheelEvent>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace orrery;

namespace {

std::vector<runfiles::SpanRecord> rank_spans(int rank, int count, std::mt19937& rng) {
  std::vector<runfiles::SpanRecord> out;
  out.reserve(static_cast<std::size_t>(count));
  std::uniform_real_distribution<double> jitter(0.8, 1.25);
  const double slow = rank % 17 == 5 ? 1.3 : 1.0;   // a few slow ranks: stragglers
  double t = 1.7e9;
  for (std::int64_t step = 0; static_cast<int>(out.size()) < count; ++step) {
    const double fwd = 0.0012 * jitter(rng) * slow, bwd = 0.0020 * jitter(rng) * slow;
    out.push_back({"compute", "forward", step, t, t + fwd});
    out.push_back({"compute", "backward", step, t + fwd, t + fwd + bwd});
    out.push_back({"comm", "allreduce", step, t + fwd + bwd / 2, t + fwd + bwd * 1.1});   // overlaps backward
    t += fwd + bwd * 1.1;
    out.push_back({"compute", "optimizer", step, t, t + 0.0003 * jitter(rng)});
    t = out.back().end;
    if (step % 10 == 0) {
      out.push_back({"io", "next batch", step, t, t + 0.0004 * jitter(rng)});
      t = out.back().end;
    }
    if (step % 500 == 499) {
      out.push_back({"checkpoint", "save", step, t, t + 0.05});
      t = out.back().end;
    }
    out.push_back({"idle", "wait", step, t, t + 0.0001 * jitter(rng) * (2 - slow)});
    t = out.back().end;
  }
  out.resize(static_cast<std::size_t>(count));
  return out;
}

// The platform's floor: a QOpenGLWidget of the same size that only clears, measured the same way.
class ClearOnly : public QOpenGLWidget {
 protected:
  void paintGL() override {
    context()->functions()->glClearColor(0.1f, 0.1f, 0.1f, 1.f);
    context()->functions()->glClear(GL_COLOR_BUFFER_BIT);
  }
};

// One frame of `widget`: the input, an update, the event loop run until Qt has painted and
// swapped the window (frameSwapped), then glFinish so the rasterizer's work is counted.
// Returns milliseconds, or a negative value when no frame came within 5 s.
template <typename Input>
double timed_frame(QOpenGLWidget& widget, int& swaps, Input&& input) {
  QElapsedTimer t;
  t.start();
  const int before = swaps;
  input();
  widget.update();
  while (swaps == before && t.elapsed() < 5000) QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
  if (swaps == before) return -1;
  widget.makeCurrent();
  widget.context()->functions()->glFinish();
  widget.doneCurrent();
  return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

struct Stats {
  std::vector<double> ms;
  void report(const char* what) {
    if (ms.empty()) return;
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
    std::printf("%-34s frames %4zu  median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n", what, ms.size(), at(0.5), at(0.95),
                ms.back());
  }
};

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  const int ranks = argc > 1 ? std::atoi(argv[1]) : 64;
  const int spans = argc > 2 ? std::atoi(argv[2]) : 100000;
  const int width = argc > 3 ? std::atoi(argv[3]) : 1600;
  const int height = argc > 4 ? std::atoi(argv[4]) : 900;

  QElapsedTimer clock;
  clock.start();
  timeline::TimelineBuilder builder;
  std::mt19937 rng(42);
  for (int r = 0; r < ranks; ++r) builder.add(r, rank_spans(r, spans, rng));
  auto tl = builder.timeline();
  std::printf("built %d ranks x %d spans (%zu steps) in %.0f ms\n", ranks, spans, tl->steps.size(),
              static_cast<double>(clock.elapsed()));

  panels::TimelineView view;
  view.resize(width, height);
  view.show();
  if (!QTest::qWaitForWindowExposed(&view)) return 1;
  QCoreApplication::processEvents();
  if (!view.glProblem().isEmpty()) {
    std::fprintf(stderr, "%s\n", qPrintable(view.glProblem()));
    return 1;
  }
  view.makeCurrent();
  std::printf("platform %s, GL renderer: %s, version %s\n", qPrintable(QGuiApplication::platformName()),
              reinterpret_cast<const char*>(view.context()->functions()->glGetString(GL_RENDERER)),
              reinterpret_cast<const char*>(view.context()->functions()->glGetString(GL_VERSION)));
  view.doneCurrent();
  view.setTimeline(tl);
  if (!QTest::qWaitFor([&] { return view.drawList() != nullptr; }, 30000)) {
    std::fprintf(stderr, "no level of detail in 30 s\n");
    return 1;
  }

  std::vector<double> paint_ms;   // paintGL's own CPU time (ImGui frame + draw calls issued)
  int view_swaps = 0;
  QObject::connect(&view, &QOpenGLWidget::frameSwapped, [&] { ++view_swaps; });
  int missed = 0;
  auto frame = [&](auto&& input) {
    const double ms = timed_frame(view, view_swaps, input);
    if (ms < 0) ++missed;
    paint_ms.push_back(view.lastPaintMs());
    QCoreApplication::processEvents();   // level-of-detail results arrive here, between frames
    return ms;
  };
  Stats floor;
  {
    ClearOnly plain;
    plain.resize(width, height);
    plain.show();
    if (!QTest::qWaitForWindowExposed(&plain)) return 1;
    int plain_swaps = 0;
    QObject::connect(&plain, &QOpenGLWidget::frameSwapped, [&] { ++plain_swaps; });
    for (int i = 0; i < 35; ++i) {
      const double ms = timed_frame(plain, plain_swaps, [] {});
      if (ms < 0) ++missed;
      if (i >= 5 && ms >= 0) floor.ms.push_back(ms);
      QCoreApplication::processEvents();
    }
  }
  const auto& l = view.layout();
  const QPointF centre(l.lanes_left + l.lanes_width() * 0.4, (l.lanes_top + l.lanes_bottom) / 2);
  auto wheel = [&](int delta) {
    QWheelEvent e(centre, view.mapToGlobal(centre), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier,
                  Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &e);
  };

  for (int i = 0; i < 5; ++i) frame([] {});   // warm-up: font atlas, shaders
  Stats whole, zoom_in, pan, zoom_out;
  auto keep = [](Stats& stats, double ms) { if (ms >= 0) stats.ms.push_back(ms); };
  for (int i = 0; i < 30; ++i) keep(whole, frame([] {}));
  // Zoom from the whole run (~hundreds of seconds) down to a few steps, one notch a frame.
  for (int i = 0; i < 45; ++i) keep(zoom_in, frame([&] { wheel(120); }));
  // Pan: drag 12 px a frame, at 3 zoom levels.
  for (int level = 0; level < 3; ++level) {
    QPointF at = centre;
    QMouseEvent press(QEvent::MouseButtonPress, at, view.mapToGlobal(at), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&view, &press);
    for (int i = 0; i < 40; ++i) {
      keep(pan, frame([&] {
        at += QPointF(level == 1 ? -12 : 12, 0);
        QMouseEvent move(QEvent::MouseMove, at, view.mapToGlobal(at), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&view, &move);
      }));
    }
    QMouseEvent release(QEvent::MouseButtonRelease, at, view.mapToGlobal(at), Qt::LeftButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(&view, &release);
    for (int i = 0; i < 15; ++i) frame([&] { wheel(-120); });
  }
  for (int i = 0; i < 45; ++i) keep(zoom_out, frame([&] { wheel(-120); }));

  std::printf("\nframe = input event + update() + event loop until frameSwapped + glFinish(), %dx%d\n", width, height);
  if (missed > 0) std::printf("%d frames never swapped within 5 s (left out)\n", missed);
  floor.report("floor: QOpenGLWidget that only clears");
  whole.report("whole run, no input");
  zoom_in.report("zoom in (wheel, 1 notch/frame)");
  pan.report("pan (drag 12 px/frame)");
  zoom_out.report("zoom out (wheel, 1 notch/frame)");
  Stats all;
  for (auto* s : {&zoom_in, &pan, &zoom_out}) all.ms.insert(all.ms.end(), s->ms.begin(), s->ms.end());
  all.report("zoom + pan, all frames");
  Stats paint;
  paint.ms = paint_ms;
  paint.report("  of which paintGL (CPU side)");

  // The level of detail alone (what the worker thread computes per view change: 3 view widths, merging under 3 px).
  Stats lod_whole, lod_mid, lod_near;
  const double begin = tl->begin, len = tl->end - tl->begin;
  for (int i = 0; i < 10; ++i) {
    const int px = static_cast<int>(l.lanes_width()) * 3;
    for (auto [stats, w] : {std::pair{&lod_whole, len * 3}, std::pair{&lod_mid, len / 20}, std::pair{&lod_near, 0.05}}) {
      QElapsedTimer t;
      t.start();
      const auto list = timeline::level_of_detail(*tl, {begin + len / 3 - w / 3, begin + len / 3 + 2 * w / 3, px}, 3.0);
      stats->ms.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
      if (i == 0) std::printf("level of detail over %10.3f s: %zu spans in %zu blocks\n", w, list.drawn_spans,
                              [&] { std::size_t n = 0; for (const auto& b : list.lanes) n += b.size(); return n; }());
    }
  }
  lod_whole.report("level of detail, whole run");
  lod_mid.report("level of detail, 1/20 of the run");
  lod_near.report("level of detail, 50 ms");
  return 0;
}
