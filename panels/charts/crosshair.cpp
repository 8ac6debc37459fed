#include "charts/crosshair.hpp"

#include <QAbstractSeries>
#include <QBrush>
#include <QChart>
#include <QGraphicsLineItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QPen>

#include <algorithm>
#include <cmath>

namespace orrery::panels {

Crosshair::Crosshair(QChart* chart, std::function<QString(double)> format_x, std::function<std::vector<Line>()> lines)
    : chart_(chart),
      format_x_(std::move(format_x)),
      lines_(std::move(lines)),
      line_(new QGraphicsLineItem(chart)),
      box_(new QGraphicsRectItem(chart)),
      label_(new QGraphicsSimpleTextItem(box_)) {
  line_->setPen(QPen(QColor(90, 90, 90, 160), 1, Qt::DashLine));
  box_->setBrush(QColor(255, 255, 255, 225));
  box_->setPen(QPen(QColor(160, 160, 160)));
  line_->setZValue(100);
  box_->setZValue(101);
  hide();
}

void Crosshair::hide() {
  line_->hide();
  box_->hide();
}

bool Crosshair::isVisible() const { return line_->isVisible(); }

QString Crosshair::text() const { return isVisible() ? label_->text() : QString(); }

void Crosshair::moveTo(QPointF pos) {
  const QRectF area = chart_->plotArea();
  if (!area.contains(pos) || chart_->series().isEmpty()) {
    hide();
    return;
  }
  const double x = chart_->mapToValue(pos).x();
  QStringList lines{format_x_(x)};
  for (const Line& l : lines_()) {
    // Drawn points are sorted by x: the nearest one by binary search.
    const QList<QPointF>& points = *l.points;
    auto it = std::lower_bound(points.begin(), points.end(), x, [](const QPointF& p, double v) { return p.x() < v; });
    if (it == points.end() || (it != points.begin() && std::abs(std::prev(it)->x() - x) < std::abs(it->x() - x))) {
      it = std::prev(it);
    }
    lines << QStringLiteral("%1: %2").arg(l.name, QString::number(it->y(), 'g', 6));
  }
  line_->setLine(pos.x(), area.top(), pos.x(), area.bottom());
  label_->setText(lines.join('\n'));
  const QRectF text = label_->boundingRect();
  QPointF corner(pos.x() + 12, area.top() + 6);
  if (corner.x() + text.width() + 8 > area.right()) corner.setX(pos.x() - 12 - text.width() - 8);
  box_->setRect(0, 0, text.width() + 8, text.height() + 6);
  box_->setPos(corner);
  label_->setPos(4, 3);
  line_->show();
  box_->show();
}

}  // namespace orrery::panels
