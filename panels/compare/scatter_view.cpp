#include "compare/scatter_view.hpp"

#include <QLineF>
#include <QPainter>

namespace orrery::panels {

void ScatterView::setData(PlotAxis x, PlotAxis y, QStringList runLabels) {
  x_ = std::move(x);
  y_ = std::move(y);
  labels_ = std::move(runLabels);
  setHoverContent(labels_, {&x_, &y_});
  update();
}

int ScatterView::runAt(QPointF point) const {
  int best = -1;
  double bestDistance = kRadius + 3;
  for (int run = 0; run < labels_.size(); ++run) {
    if (const auto c = pointOf(run)) {
      const double d = QLineF(*c, point).length();
      if (d <= bestDistance) best = run, bestDistance = d;
    }
  }
  return best;
}

std::optional<QPointF> ScatterView::pointOf(int run) const {
  const auto& xs = x_.scale.positions();
  const auto& ys = y_.scale.positions();
  if (run < 0 || run >= static_cast<int>(xs.size()) || run >= static_cast<int>(ys.size())) return std::nullopt;
  const auto& tx = xs[static_cast<std::size_t>(run)];
  const auto& ty = ys[static_cast<std::size_t>(run)];
  if (!tx || !ty) return std::nullopt;
  const QRectF r = plotRect();
  return QPointF(r.left() + *tx * r.width(), r.bottom() - *ty * r.height());
}

QColor ScatterView::runColour(int run) const {
  const auto& ys = y_.scale.positions();
  return rampColour(run >= 0 && run < static_cast<int>(ys.size()) ? ys[static_cast<std::size_t>(run)] : std::nullopt);
}

void ScatterView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().color(QPalette::Base));
  if (labels_.isEmpty() || x_.title.isEmpty() || y_.title.isEmpty()) {
    drawEmptyNote(p, tr("Choose a parameter and a metric"));
    return;
  }
  p.setRenderHint(QPainter::Antialiasing, true);
  const QRectF r = plotRect();
  const QColor ink = palette().color(QPalette::Text);
  p.setPen(QPen(ink, 1));
  p.drawLine(r.bottomLeft(), r.bottomRight());
  p.drawLine(r.bottomLeft(), r.topLeft());
  drawHorizontalTicks(p, x_.scale);
  drawVerticalTicks(p, r.left(), y_.scale, true);
  p.drawText(QRectF(r.left(), r.bottom() + 20, r.width(), 18), Qt::AlignHCenter, x_.title);
  p.drawText(QRectF(r.left(), 4, r.width(), r.top() - 8), Qt::AlignLeft | Qt::AlignBottom, y_.title);

  p.setPen(Qt::NoPen);
  for (int run = 0; run < labels_.size(); ++run) {
    if (const auto c = pointOf(run)) {
      p.setBrush(runColour(run));
      p.drawEllipse(*c, kRadius, kRadius);
    }
  }
  if (const auto c = pointOf(hoveredRun())) {   // the hovered run: on top, ringed
    p.setBrush(runColour(hoveredRun()));
    p.setPen(QPen(ink, 2));
    p.drawEllipse(*c, kRadius + 2, kRadius + 2);
  }
}

}  // namespace orrery::panels
