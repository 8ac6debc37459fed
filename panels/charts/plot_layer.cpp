#include "charts/plot_layer.hpp"

#include <QAbstractAxis>
#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLogValueAxis>
#include <QPainter>
#include <QPainterPath>
#include <QPolygonF>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <utility>

namespace orrery::panels {

namespace {

std::pair<double, double> axis_range(const QAbstractAxis* axis) {
  if (auto* v = qobject_cast<const QValueAxis*>(axis)) return {v->min(), v->max()};
  if (auto* l = qobject_cast<const QLogValueAxis*>(axis)) return {std::log10(l->min()), std::log10(l->max())};
  if (auto* t = qobject_cast<const QDateTimeAxis*>(axis)) {
    return {static_cast<double>(t->min().toMSecsSinceEpoch()), static_cast<double>(t->max().toMSecsSinceEpoch())};
  }
  return {0, 1};
}

// Axis units to pixels of the chart, as Qt Charts' XY and log domains place points.
class PixelMap {
 public:
  PixelMap(const QRectF& area, const QAbstractAxis* x, const QAbstractAxis* y)
      : area_(area), log_y_(qobject_cast<const QLogValueAxis*>(y) != nullptr) {
    std::tie(x_lo_, x_hi_) = axis_range(x);
    std::tie(y_lo_, y_hi_) = axis_range(y);
  }
  bool valid() const { return x_hi_ > x_lo_ && y_hi_ > y_lo_ && area_.width() > 0 && area_.height() > 0; }
  QPointF operator()(const QPointF& p) const {
    const double y = log_y_ ? std::log10(p.y()) : p.y();
    return {area_.left() + (p.x() - x_lo_) * area_.width() / (x_hi_ - x_lo_),
            area_.bottom() - (y - y_lo_) * area_.height() / (y_hi_ - y_lo_)};
  }

 private:
  QRectF area_;
  bool log_y_;
  double x_lo_ = 0, x_hi_ = 1, y_lo_ = 0, y_hi_ = 1;
};

// Pixels far outside the plot area are brought within a margin of it, so the rasterizer's
// fixed-point coordinates cannot overflow. A point outside in x (only the neighbours kept
// beyond each end of the view are) slides along its segment; y is clamped, which cannot
// change what is visible of a segment one pixel column wide.
class Clamp {
 public:
  explicit Clamp(const QRectF& area)
      : left_(area.left() - kMargin), right_(area.right() + kMargin), top_(area.top() - kMargin),
        bottom_(area.bottom() + kMargin) {}
  void edges(QPolygonF& poly) const {
    if (poly.size() < 2) return;
    slide(poly[0], poly[1]);
    slide(poly[poly.size() - 1], poly[poly.size() - 2]);
    for (QPointF& p : poly) p.setY(std::clamp(p.y(), top_, bottom_));
  }

 private:
  static constexpr double kMargin = 4096;
  void slide(QPointF& outer, const QPointF& inner) const {
    for (double edge : {left_, right_}) {
      const bool crosses = (outer.x() < edge) != (inner.x() < edge);
      if ((edge == left_ ? outer.x() < edge : outer.x() > edge) && crosses) {
        const double t = (edge - inner.x()) / (outer.x() - inner.x());
        outer = QPointF(edge, inner.y() + t * (outer.y() - inner.y()));
      }
    }
    outer.setX(std::clamp(outer.x(), left_, right_));
  }
  double left_, right_, top_, bottom_;
};

}  // namespace

PlotLayer::PlotLayer(QChart* chart, std::function<Style(const LineKey&)> style)
    : QGraphicsItem(chart), chart_(chart), style_(std::move(style)) {
  setAcceptedMouseButtons(Qt::NoButton);
  setAcceptHoverEvents(false);
  setZValue(50);  // over Qt Charts' series and grid, under the crosshair
  plotAreaChanged();
}

void PlotLayer::setAxes(QAbstractAxis* x, QAbstractAxis* y) {
  x_axis_ = x;
  y_axis_ = y;
  update();
}

void PlotLayer::setLines(std::map<LineKey, QList<QPointF>> lines) {
  lines_ = std::move(lines);
  update();
}

void PlotLayer::plotAreaChanged() {
  const QRectF area = chart_->plotArea();
  if (area != area_) {
    prepareGeometryChange();
    area_ = area;
  }
  update();
}

QRectF PlotLayer::boundingRect() const { return area_; }

QPainterPath PlotLayer::shape() const {
  QPainterPath path;
  path.addRect(area_);
  return path;
}

void PlotLayer::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  if (!x_axis_ || !y_axis_ || lines_.empty()) return;
  const PixelMap map(area_, x_axis_, y_axis_);
  if (!map.valid()) return;
  const Clamp clamp(area_);
  const bool log_y = qobject_cast<const QLogValueAxis*>(y_axis_) != nullptr;
  auto pixels = [&](const QList<QPointF>& points) {
    QPolygonF poly;
    poly.reserve(points.size());
    for (const QPointF& p : points) {
      if (log_y && !(p.y() > 0)) continue;
      poly.append(map(p));
    }
    clamp.edges(poly);
    return poly;
  };

  painter->save();
  painter->setClipRect(area_);
  // Thousands of segments a pixel apart: without antialiasing they stay crisp and cheap.
  painter->setRenderHint(QPainter::Antialiasing, false);
  // Bands under the faint raw lines under the main lines, as before.
  painter->setPen(Qt::NoPen);
  for (const auto& [key, low] : lines_) {
    if (key.role != LineRole::BandLow) continue;
    const auto high = lines_.find({key.run, key.rank, LineRole::BandHigh});
    const Style style = style_(key);
    if (high == lines_.end() || !style.shown) continue;
    QPolygonF area = pixels(high->second);
    QPolygonF lower = pixels(low);
    std::reverse(lower.begin(), lower.end());
    area += lower;
    painter->setBrush(style.colour);
    painter->drawPolygon(area);
  }
  painter->setBrush(Qt::NoBrush);
  for (LineRole role : {LineRole::Raw, LineRole::Main}) {
    for (const auto& [key, points] : lines_) {
      if (key.role != role) continue;
      const Style style = style_(key);
      if (!style.shown) continue;
      painter->setPen(QPen(style.colour, 0));  // cosmetic: one pixel wide, the fast stroker
      const QPolygonF poly = pixels(points);
      if (poly.size() == 1) painter->drawPoint(poly.front());
      else painter->drawPolyline(poly);
    }
  }
  painter->restore();
}

}  // namespace orrery::panels
