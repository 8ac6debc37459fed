#include "timeline/timeline_panel.hpp"

#include "timeline/span_follower.hpp"
#include "timeline/timeline_draw.hpp"
#include "timeline/timeline_view.hpp"

#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QToolButton>
#include <QVBoxLayout>

namespace orrery::panels {

QString TimelinePanel::openGLProblem() {
  // Qt 6.4's offscreen platform crashes in a QOpenGLWidget rather than refusing it: ask first.
  if (QGuiApplication::platformName() == QLatin1String("offscreen"))
    return tr("The rank timeline draws with OpenGL, which the offscreen platform cannot show.");
  QOpenGLContext context;
  QOffscreenSurface surface;
  surface.create();
  if (!context.create() || !context.makeCurrent(&surface))
    return tr("The rank timeline needs OpenGL 3.0, and this display offers no OpenGL context.");
  const QSurfaceFormat format = context.format();
  context.doneCurrent();
  if (context.isOpenGLES() || format.majorVersion() < 3)
    return tr("The rank timeline needs OpenGL 3.0; this display offers %1.%2.")
        .arg(format.majorVersion())
        .arg(format.minorVersion());
  return {};
}

TimelinePanel::TimelinePanel(const runfiles::Project& project, QWidget* parent) : QWidget(parent), project_(project) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  summary_ = new QLabel(tr("No run selected"), this);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  fit_ = new QToolButton(this);
  fit_->setText(tr("Whole run"));
  fit_->setToolTip(tr("Show the whole run (wheel: zoom around the cursor; drag: pan; click a span: select its step)"));
  bar->addWidget(summary_, 1);
  bar->addWidget(fit_);
  layout->addLayout(bar);
  if (const QString problem = openGLProblem(); !problem.isEmpty()) {
    auto* message = new QLabel(problem, this);
    message->setAlignment(Qt::AlignCenter);
    message->setWordWrap(true);
    layout->addWidget(message, 1);
    fit_->setEnabled(false);
    return;
  }
  view_ = new TimelineView(this);
  layout->addWidget(view_, 1);
  connect(fit_, &QToolButton::clicked, view_, &TimelineView::showWholeRun);
  connect(view_, &TimelineView::stepSelected, this, [this](qint64) { updateSummary(); });
}

TimelinePanel::~TimelinePanel() = default;

void TimelinePanel::setRun(const QString& runId) {
  if (runId == run_id_) return;
  run_id_ = runId;
  ++follow_generation_;
  follower_.reset();
  problem_.clear();
  live_ = !runId.isEmpty();
  timeline_.reset();
  if (view_) {
    view_->selectStep(std::nullopt);
    view_->setTimeline(nullptr);
    view_->showWholeRun();
  }
  if (!runId.isEmpty()) {
    follower_ = std::make_unique<SpanFollower>(project_, runId.toStdString());
    // Signals of a follower already replaced may still be queued: the generation tells them apart.
    const quint64 generation = ++follow_generation_;
    connect(follower_.get(), &SpanFollower::timelineChanged, this,
            [this, generation](std::shared_ptr<const timeline::Timeline> timeline, bool live) {
              if (generation == follow_generation_) onTimeline(std::move(timeline), live);
            });
    connect(follower_.get(), &SpanFollower::problem, this, [this, generation](const QString& message) {
      if (generation != follow_generation_) return;
      problem_ = message;
      updateSummary();
    });
    follower_->start();
  }
  updateSummary();
}

void TimelinePanel::onTimeline(std::shared_ptr<const timeline::Timeline> timeline, bool live) {
  live_ = live;
  timeline_ = timeline;
  if (view_) view_->setTimeline(std::move(timeline));
  updateSummary();
  emit timelineLoaded();
}

void TimelinePanel::updateSummary() {
  if (run_id_.isEmpty()) {
    summary_->setText(tr("No run selected"));
    return;
  }
  const auto& timeline = timeline_;
  QString text = tr("%1: ").arg(run_id_);
  if (!timeline) {
    text += tr("reading spans...");
  } else {
    text += tr("%n rank(s), ", nullptr, static_cast<int>(timeline->lanes.size())) +
            tr("%n span(s), ", nullptr, static_cast<int>(timeline->span_count)) +
            tr("%n step(s)", nullptr, static_cast<int>(timeline->steps.size()));
    if (!timeline->empty())
      text += tr(" over %1").arg(QString::fromStdString(format_duration(timeline->end - timeline->begin)));
    if (live_) text += tr(" (live)");
  }
  if (const auto step = view_ ? view_->selectedStep() : std::nullopt) {
    text += tr("; step %1 selected").arg(*step);
    if (timeline) {
      if (const timeline::StepSummary* s = timeline->find_step(*step); s && s->straggler_lane >= 0)
        text += tr(", rank %1 finished it last (%2 after the next)")
                    .arg(timeline->lanes[static_cast<std::size_t>(s->straggler_lane)]->rank)
                    .arg(QString::fromStdString(format_duration(s->lag)));
    }
  }
  if (!problem_.isEmpty()) text += tr(" — %1").arg(problem_);
  summary_->setText(text);
}

}  // namespace orrery::panels
