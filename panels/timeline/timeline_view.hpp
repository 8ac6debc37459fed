// The rank timeline widget: Dear ImGui drawn in a QOpenGLWidget, driven by Qt's input
// events. One lane per rank; the wheel zooms around the cursor, dragging pans (and
// scrolls the lanes), hovering shows the span and its duration, a click selects the
// span's step and shows it on every rank. The critical path (per step, the rank that
// ended last) is marked under the lanes; the imbalance views sit on the right.
//
// The widget draws the last level-of-detail list the worker produced, placed at the
// current view, and asks the worker for the next one whenever the view changes: a
// frame never waits for the level of detail.
#pragma once

#include "timeline/timeline_layout.hpp"
#include "timeline/timeline_worker.hpp"

#include <QElapsedTimer>
#include <QOpenGLWidget>
#include <QPointF>
#include <QString>
#include <QTimer>

#include <memory>
#include <optional>

struct ImGuiContext;

namespace orrery::panels {

class TimelineView : public QOpenGLWidget {
  Q_OBJECT

 public:
  explicit TimelineView(QWidget* parent = nullptr);
  ~TimelineView() override;

  // A new timeline (e.g. the live run gained spans). The view keeps its window unless
  // it showed the whole run before, then it grows with the run.
  void setTimeline(std::shared_ptr<const timeline::Timeline> timeline);
  std::shared_ptr<const timeline::Timeline> timelineShown() const { return timeline_; }

  // The window of time across the lanes.
  double viewBegin() const { return layout_.begin; }
  double viewEnd() const { return layout_.end; }
  void setView(double begin, double end);
  void showWholeRun();
  const TimelineLayout& layout() const { return layout_; }

  std::optional<std::int64_t> selectedStep() const { return selected_step_; }
  void selectStep(std::optional<std::int64_t> step);
  timeline::SpanKind imbalanceKind() const { return imbalance_kind_; }
  void setImbalanceKind(timeline::SpanKind kind);

  // What the tooltip says now ("" when nothing is hovered).
  QString hoverText() const { return hover_text_; }
  // The level of detail drawn last, and the timeline it was computed from.
  std::shared_ptr<const timeline::DrawList> drawList() const { return draw_list_; }
  std::shared_ptr<const ImbalanceStats> imbalanceStats() const { return stats_; }
  // Why nothing can be drawn (no OpenGL 3 context); empty when drawing works.
  QString glProblem() const { return gl_problem_; }
  // CPU time of the last paintGL in milliseconds (the benchmark adds the GPU's share).
  double lastPaintMs() const { return last_paint_ms_; }

 signals:
  void stepSelected(qint64 step);
  void drawListUpdated();       // a new level-of-detail list arrived (and a repaint is scheduled)
  void imbalanceUpdated();

 protected:
  void initializeGL() override;
  void paintGL() override;
  void resizeGL(int w, int h) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  void viewChanged();             // after any change of window, size or timeline
  void requestDrawList();
  void arrange();
  void updateHover();
  void clickAt(QPointF pos);
  void shutdownImGui();

  std::shared_ptr<const timeline::Timeline> timeline_;
  std::shared_ptr<const timeline::Timeline> draw_list_timeline_;   // the one draw_list_ indexes
  std::shared_ptr<const timeline::DrawList> draw_list_;
  std::shared_ptr<const ImbalanceStats> stats_;
  std::shared_ptr<const timeline::Timeline> stats_timeline_;        // the one stats_ indexes
  std::vector<int> straggler_counts_;   // per lane: steps it ended last

  TimelineLayout layout_;
  float scroll_y_ = 0;
  bool whole_run_ = true;         // the view follows the run's extent
  std::optional<std::int64_t> selected_step_;
  timeline::SpanKind imbalance_kind_ = timeline::SpanKind::Comm;
  QString hover_text_;

  // Input as Qt delivered it, handed to ImGui at the next frame.
  QPointF mouse_{-1, -1};
  bool mouse_inside_ = false;
  bool buttons_[3] = {false, false, false};
  bool dragging_ = false;
  QPointF press_pos_, last_drag_pos_;

  ImGuiContext* imgui_ = nullptr;
  bool imgui_backend_ = false;
  QString gl_problem_;
  QElapsedTimer frame_clock_;
  double last_paint_ms_ = 0;
  QTimer stats_timer_;            // imbalance statistics once the view rests

  std::unique_ptr<TimelineWorker> worker_;   // last: its callbacks post to this object
};

}  // namespace orrery::panels
