#include "compare/parallel_coordinates_view.hpp"

#include <QLineF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace orrery::panels {

void ParallelCoordinatesView::setData(std::vector<PlotAxis> axes, compare::AxisScale colour, QStringList runLabels) {
  axes_ = std::move(axes);
  colour_ = std::move(colour);
  labels_ = std::move(runLabels);
  std::vector<const PlotAxis*> hoverAxes;
  for (const auto& axis : axes_) hoverAxes.push_back(&axis);
  setHoverContent(labels_, std::move(hoverAxes));
  update();
}

namespace {

double distanceToSegment(QPointF p, QPointF a, QPointF b) {
  const QPointF ab = b - a;
  const double length2 = QPointF::dotProduct(ab, ab);
  const double t = length2 > 0 ? std::clamp(QPointF::dotProduct(p - a, ab) / length2, 0.0, 1.0) : 0.0;
  return QLineF(p, a + t * ab).length();
}

}  // namespace

int ParallelCoordinatesView::runAt(QPointF point) const {
  int best = -1;
  double bestDistance = 5;
  for (int run = 0; run < labels_.size(); ++run) {
    std::optional<QPointF> previous;
    for (int axis = 0; axis < axisCount(); ++axis) {
      const auto v = vertex(run, axis);
      if (v) {
        const double d = previous ? distanceToSegment(point, *previous, *v) : QLineF(point, *v).length();
        if (d <= bestDistance) best = run, bestDistance = d;
      }
      previous = v;   // a missing value breaks the line, as drawn
    }
  }
  return best;
}

void ParallelCoordinatesView::drawRun(QPainter& p, int run, double width) const {
  const QColor c = runColour(run);
  QPainterPath path;
  bool open = false;
  for (int axis = 0; axis < axisCount(); ++axis) {
    const auto v = vertex(run, axis);
    if (!v) {
      open = false;   // a missing value breaks the line instead of inventing a position
      continue;
    }
    open ? path.lineTo(*v) : path.moveTo(*v);
    open = true;
  }
  p.setPen(QPen(c, width));
  p.setBrush(Qt::NoBrush);
  p.drawPath(path);
  p.setPen(Qt::NoPen);
  p.setBrush(c);
  for (int axis = 0; axis < axisCount(); ++axis)
    if (const auto v = vertex(run, axis)) p.drawEllipse(*v, kVertexRadius + width - 2, kVertexRadius + width - 2);
}

double ParallelCoordinatesView::axisX(int axis) const {
  const QRectF r = plotRect();
  if (axes_.size() < 2) return r.center().x();
  return r.left() + r.width() * axis / static_cast<double>(axes_.size() - 1);
}

std::optional<QPointF> ParallelCoordinatesView::vertex(int run, int axis) const {
  if (axis < 0 || axis >= axisCount()) return std::nullopt;
  const auto& positions = axes_[static_cast<std::size_t>(axis)].scale.positions();
  if (run < 0 || run >= static_cast<int>(positions.size())) return std::nullopt;
  const auto& t = positions[static_cast<std::size_t>(run)];
  if (!t) return std::nullopt;
  const QRectF r = plotRect();
  return QPointF(axisX(axis), r.bottom() - *t * r.height());
}

QColor ParallelCoordinatesView::runColour(int run) const {
  const auto& positions = colour_.positions();
  return rampColour(run >= 0 && run < static_cast<int>(positions.size()) ? positions[static_cast<std::size_t>(run)]
                                                                          : std::nullopt);
}

void ParallelCoordinatesView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().color(QPalette::Base));
  if (axes_.empty() || labels_.isEmpty()) {
    drawEmptyNote(p, tr("Choose runs with a metric to compare"));
    return;
  }
  p.setRenderHint(QPainter::Antialiasing, true);
  const QRectF r = plotRect();
  const QColor ink = palette().color(QPalette::Text);

  // Axes and ticks under the runs, so each run's vertex shows its own colour; titles last.
  p.setPen(QPen(ink, 1));
  for (int axis = 0; axis < axisCount(); ++axis) {
    const double x = axisX(axis);
    p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()));
    drawVerticalTicks(p, x, axes_[static_cast<std::size_t>(axis)].scale, axis + 1 < axisCount());
  }

  for (int run = 0; run < labels_.size(); ++run) drawRun(p, run, 2);
  if (hoveredRun() >= 0) drawRun(p, hoveredRun(), 4);   // on top of the others, thicker

  p.setPen(QPen(ink, 1));
  p.setBrush(Qt::NoBrush);
  for (int axis = 0; axis < axisCount(); ++axis) {
    const double x = axisX(axis);
    const QString title = p.fontMetrics().elidedText(axes_[static_cast<std::size_t>(axis)].title, Qt::ElideMiddle, 130);
    p.drawText(QRectF(x - 65, 4, 130, r.top() - 8), Qt::AlignHCenter | Qt::AlignBottom, title);
  }
}

}  // namespace orrery::panels
