// The rank timeline panel: one run's spans (run.h5), followed live while it runs,
// drawn by TimelineView; a line above it says what is shown and what is selected.
#pragma once

#include "runfiles/project.hpp"
#include "timeline/timeline.hpp"

#include <QString>
#include <QWidget>

#include <memory>

class QLabel;
class QToolButton;

namespace orrery::panels {

class SpanFollower;
class TimelineView;

class TimelinePanel : public QWidget {
  Q_OBJECT

 public:
  explicit TimelinePanel(const runfiles::Project& project, QWidget* parent = nullptr);
  ~TimelinePanel() override;

  const QString& runId() const { return run_id_; }
  // Null where OpenGL 3 is not available (the panel then says why, and still reads the run).
  TimelineView* view() const { return view_; }
  std::shared_ptr<const timeline::Timeline> timeline() const { return timeline_; }
  // Why this platform cannot draw the timeline; empty when it can.
  static QString openGLProblem();
  // False once the run has ended and its last spans were read.
  bool following() const { return live_; }
  // Why the run's spans cannot be read (damaged or missing run.h5); empty when they can.
  const QString& problem() const { return problem_; }

 public slots:
  // The run to show ("" shows nothing).
  void setRun(const QString& runId);

 signals:
  // A newer timeline of the current run reached the view.
  void timelineLoaded();

 private:
  void onTimeline(std::shared_ptr<const timeline::Timeline> timeline, bool live);
  void updateSummary();

  runfiles::Project project_;
  QString run_id_;
  bool live_ = false;
  QString problem_;
  std::shared_ptr<const timeline::Timeline> timeline_;
  std::unique_ptr<SpanFollower> follower_;
  quint64 follow_generation_ = 0;
  TimelineView* view_ = nullptr;
  QLabel* summary_ = nullptr;
  QToolButton* fit_ = nullptr;
};

}  // namespace orrery::panels
