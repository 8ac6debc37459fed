#include "timeline/timeline_view.hpp"

#include "timeline/hit_test.hpp"
#include "timeline/imbalance_draw.hpp"
#include "timeline/timeline_draw.hpp"

#include <imgui.h>
#include <backends/imgui_impl_opengl3.h>

#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace orrery::panels {

namespace {

// Drag farther than this and a press is a pan, not a click.
constexpr double kClickSlop = 4;
// The narrowest window: 100 us across the lanes. Times are seconds since the epoch, exact
// to 0.24 us near 1.7e9 (run.h5 stores them so): narrower windows would only show rounding.
constexpr double kMinWindow = 1e-4;
// The level of detail is computed for the view plus one view's width on each side, so
// a pan shows blocks at once while the next list is computed.
constexpr double kLodMargin = 1.0;
constexpr int kPhaseBins = 120;
// Spans narrower than this many pixels are merged into blocks (Tracy's MinVisSize is 3 too):
// at 1 px, 64 lanes of 1-2 px spans still meant ~150,000 rectangles a frame.
constexpr double kMergeBelowPixels = 3;

}  // namespace

TimelineView::TimelineView(QWidget* parent) : QOpenGLWidget(parent) {
  setMouseTracking(true);
  setMinimumSize(400, 200);
  stats_timer_.setSingleShot(true);
  stats_timer_.setInterval(150);
  connect(&stats_timer_, &QTimer::timeout, this, [this] {
    if (timeline_ && !timeline_->empty())
      worker_->request_stats(timeline_, layout_.begin, layout_.end, kPhaseBins);
  });
  // Results arrive on the worker thread; they are handed to the UI thread, where a
  // result for a view that changed meanwhile is still drawn (placed by time) until the next.
  worker_ = std::make_unique<TimelineWorker>(
      [this](std::shared_ptr<const timeline::DrawList> list, TimelineWorker::TimelinePtr from) {
        QMetaObject::invokeMethod(this, [this, list = std::move(list), from = std::move(from)]() mutable {
          draw_list_ = std::move(list);
          draw_list_timeline_ = std::move(from);
          update();
          emit drawListUpdated();
        }, Qt::QueuedConnection);
      },
      [this](std::shared_ptr<const ImbalanceStats> stats, TimelineWorker::TimelinePtr from) {
        QMetaObject::invokeMethod(this, [this, stats = std::move(stats), from = std::move(from)]() mutable {
          stats_ = std::move(stats);
          stats_timeline_ = std::move(from);
          update();
          emit imbalanceUpdated();
        }, Qt::QueuedConnection);
      });
}

TimelineView::~TimelineView() {
  worker_.reset();   // no callback runs after this line
  shutdownImGui();
}

void TimelineView::shutdownImGui() {
  if (!imgui_) return;
  if (context()) makeCurrent();
  ImGui::SetCurrentContext(imgui_);
  if (imgui_backend_) ImGui_ImplOpenGL3_Shutdown();
  ImGui::DestroyContext(imgui_);
  imgui_ = nullptr;
  imgui_backend_ = false;
  if (context()) doneCurrent();
}

void TimelineView::setTimeline(std::shared_ptr<const timeline::Timeline> timeline) {
  timeline_ = std::move(timeline);
  straggler_counts_.assign(timeline_ ? timeline_->lanes.size() : 0, 0);
  if (timeline_) {
    for (const timeline::StepSummary& s : timeline_->steps)
      if (s.straggler_lane >= 0 && timeline_->lanes.size() > 1) ++straggler_counts_[static_cast<std::size_t>(s.straggler_lane)];
  }
  if (whole_run_ && timeline_ && !timeline_->empty()) {
    const double pad = std::max((timeline_->end - timeline_->begin) * 0.01, kMinWindow);
    layout_.begin = timeline_->begin - pad;
    layout_.end = timeline_->end + pad;
  }
  viewChanged();
}

void TimelineView::showWholeRun() {
  whole_run_ = true;
  setTimeline(timeline_);
}

void TimelineView::setView(double begin, double end) {
  if (!(end - begin >= kMinWindow) || !std::isfinite(begin) || !std::isfinite(end)) return;
  layout_.begin = begin;
  layout_.end = end;
  whole_run_ = false;
  viewChanged();
}

void TimelineView::selectStep(std::optional<std::int64_t> step) {
  selected_step_ = step;
  update();
  if (step) emit stepSelected(*step);
}

void TimelineView::setImbalanceKind(timeline::SpanKind kind) {
  imbalance_kind_ = kind;
  update();
}

void TimelineView::arrange() {
  const double begin = layout_.begin, end = layout_.end;
  layout_.arrange(timeline_.get(), static_cast<float>(width()), static_cast<float>(height()), scroll_y_);
  layout_.begin = begin;
  layout_.end = end;
  scroll_y_ = layout_.scroll_y;
}

void TimelineView::viewChanged() {
  arrange();
  requestDrawList();
  stats_timer_.start();
  updateHover();
  update();
}

void TimelineView::requestDrawList() {
  if (!timeline_ || timeline_->empty()) {
    draw_list_.reset();
    draw_list_timeline_.reset();
    return;
  }
  const double span = layout_.end - layout_.begin;
  const int pixels = std::max(1, static_cast<int>(std::lround(layout_.lanes_width() * (1 + 2 * kLodMargin))));
  worker_->request_draw_list(timeline_, {layout_.begin - span * kLodMargin, layout_.end + span * kLodMargin, pixels},
                             kMergeBelowPixels);
}

void TimelineView::updateHover() {
  hover_text_.clear();
  if (!mouse_inside_ || dragging_ || !timeline_ || !layout_.in_lanes(static_cast<float>(mouse_.x()), static_cast<float>(mouse_.y())))
    return;
  const auto at = layout_.lane_at(static_cast<float>(mouse_.y()));
  if (at.lane < 0) return;
  LanesScene scene{&layout_, timeline_.get(), draw_list_timeline_.get(), draw_list_.get(), selected_step_, &straggler_counts_};
  hover_text_ = QString::fromStdString(describe_span_at(scene, at.lane, at.row, layout_.time_at(static_cast<float>(mouse_.x()))));
}

void TimelineView::clickAt(QPointF pos) {
  if (!timeline_ || !layout_.in_lanes(static_cast<float>(pos.x()), static_cast<float>(pos.y()))) return;
  const auto at = layout_.lane_at(static_cast<float>(pos.y()));
  std::optional<std::int64_t> step;
  if (at.lane >= 0) {
    const timeline::Lane& lane = *timeline_->lanes[static_cast<std::size_t>(at.lane)];
    if (auto hit = timeline::span_at(lane, at.row, layout_.time_at(static_cast<float>(pos.x())), layout_.seconds_per_pixel() * 0.5))
      step = lane.step[*hit];
  }
  selectStep(step);   // a click on nothing clears the selection
}

// ---- OpenGL and ImGui --------------------------------------------------------------

void TimelineView::initializeGL() {
  shutdownImGui();   // a widget moved to another window gets a new context
  const QSurfaceFormat format = context()->format();
  if (context()->isOpenGLES() || format.majorVersion() < 3) {
    gl_problem_ = tr("The timeline needs OpenGL 3.0; this display offers %1.%2%3")
                      .arg(format.majorVersion())
                      .arg(format.minorVersion())
                      .arg(context()->isOpenGLES() ? QStringLiteral(" ES") : QString());
    return;
  }
  imgui_ = ImGui::CreateContext();
  ImGui::SetCurrentContext(imgui_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;   // nothing written next to the user's files
  io.LogFilename = nullptr;
  ImGui::StyleColorsDark();
  imgui_backend_ = ImGui_ImplOpenGL3_Init("#version 130");
  if (!imgui_backend_) gl_problem_ = tr("ImGui's OpenGL 3 renderer could not start");
  frame_clock_.start();
}

void TimelineView::resizeGL(int, int) { viewChanged(); }

void TimelineView::paintGL() {
  QElapsedTimer paint_clock;
  paint_clock.start();
  QOpenGLFunctions* gl = context()->functions();
  const qreal dpr = devicePixelRatioF();
  gl->glViewport(0, 0, static_cast<GLsizei>(width() * dpr), static_cast<GLsizei>(height() * dpr));
  gl->glClearColor(30 / 255.f, 32 / 255.f, 36 / 255.f, 1.f);
  gl->glClear(GL_COLOR_BUFFER_BIT);
  if (!imgui_ || !imgui_backend_) return;

  ImGui::SetCurrentContext(imgui_);
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(width()), static_cast<float>(height()));
  io.DisplayFramebufferScale = ImVec2(static_cast<float>(dpr), static_cast<float>(dpr));
  io.DeltaTime = std::max(1e-4f, static_cast<float>(frame_clock_.restart()) / 1000.f);
  io.MousePos = mouse_inside_ ? ImVec2(static_cast<float>(mouse_.x()), static_cast<float>(mouse_.y()))
                              : ImVec2(-std::numeric_limits<float>::max(), -std::numeric_limits<float>::max());
  for (int b = 0; b < 3; ++b) io.MouseDown[b] = buttons_[b];

  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  LanesScene scene{&layout_, timeline_.get(), draw_list_timeline_.get(), draw_list_.get(), selected_step_, &straggler_counts_};
  ImDrawList* background = ImGui::GetBackgroundDrawList();
  if (!timeline_ || timeline_->empty()) {
    background->AddText({12, 12}, IM_COL32(200, 200, 200, 255), "No spans in this run (yet).");
  } else {
    draw_lanes(background, scene);
  }
  if (layout_.stats_shown) {
    const timeline::SpanKind before = imbalance_kind_;
    draw_imbalance(stats_timeline_ == timeline_ ? stats_.get() : nullptr, timeline_.get(), imbalance_kind_,
                   layout_.lanes_right, 0, layout_.width - layout_.lanes_right, layout_.height);
    if (imbalance_kind_ != before) update();
  }
  if (!hover_text_.isEmpty()) {
    const QByteArray text = hover_text_.toUtf8();
    ImGui::BeginTooltip();
    ImGui::TextUnformatted(text.constData(), text.constData() + text.size());
    ImGui::EndTooltip();
  }
  ImGui::Render();
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  last_paint_ms_ = static_cast<double>(paint_clock.nsecsElapsed()) / 1e6;
}

// ---- Input: Qt events drive the view and feed ImGui ----------------------------------

void TimelineView::mousePressEvent(QMouseEvent* event) {
  mouse_ = event->position();
  mouse_inside_ = true;
  const int b = event->button() == Qt::LeftButton ? 0 : event->button() == Qt::RightButton ? 1 : 2;
  buttons_[b] = true;
  if (event->button() == Qt::LeftButton && layout_.in_lanes(static_cast<float>(mouse_.x()), static_cast<float>(mouse_.y()))) {
    press_pos_ = last_drag_pos_ = mouse_;
    dragging_ = true;
  }
  update();
}

void TimelineView::mouseMoveEvent(QMouseEvent* event) {
  mouse_ = event->position();
  mouse_inside_ = true;
  if (dragging_ && (event->buttons() & Qt::LeftButton)) {
    const QPointF delta = mouse_ - last_drag_pos_;
    last_drag_pos_ = mouse_;
    const double dt = delta.x() * layout_.seconds_per_pixel();
    layout_.begin -= dt;
    layout_.end -= dt;
    scroll_y_ -= static_cast<float>(delta.y());
    whole_run_ = false;
    viewChanged();
    return;
  }
  updateHover();
  update();
}

void TimelineView::mouseReleaseEvent(QMouseEvent* event) {
  mouse_ = event->position();
  const int b = event->button() == Qt::LeftButton ? 0 : event->button() == Qt::RightButton ? 1 : 2;
  buttons_[b] = false;
  if (event->button() == Qt::LeftButton && dragging_) {
    dragging_ = false;
    const QPointF moved = mouse_ - press_pos_;
    if (std::hypot(moved.x(), moved.y()) <= kClickSlop) clickAt(mouse_);
    updateHover();
  }
  update();
}

void TimelineView::wheelEvent(QWheelEvent* event) {
  const QPointF pos = event->position();
  if (!layout_.in_lanes(static_cast<float>(pos.x()), static_cast<float>(pos.y()))) {
    event->ignore();
    return;
  }
  // 120 units per notch; a notch zooms by 20 % around the time under the cursor.
  const double notches = event->angleDelta().y() / 120.0;
  if (notches == 0) return;
  const double factor = std::pow(0.8, notches);
  const double at = layout_.time_at(static_cast<float>(pos.x()));
  double begin = at - (at - layout_.begin) * factor, end = at + (layout_.end - at) * factor;
  if (end - begin < kMinWindow) return;
  if (timeline_ && !timeline_->empty()) {
    const double limit = std::max(10 * (timeline_->end - timeline_->begin), kMinWindow);
    if (end - begin > limit) return;
  }
  mouse_ = pos;
  mouse_inside_ = true;
  setView(begin, end);
  event->accept();
}

void TimelineView::leaveEvent(QEvent*) {
  mouse_inside_ = false;
  hover_text_.clear();
  update();
}

}  // namespace orrery::panels
