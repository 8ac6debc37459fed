#include "compare/compare_plot.hpp"

#include <QPainter>

#include <algorithm>
#include <utility>
#include <vector>

namespace orrery::panels {

namespace {

constexpr double kMarginLeft = 70, kMarginRight = 70, kMarginTop = 34, kMarginBottom = 40;

QString tickText(double v) { return QString::number(v, 'g', 4); }

// (position 0..1, label) of an axis's ticks: each category, or a numeric range's ends.
std::vector<std::pair<double, QString>> ticksOf(const compare::AxisScale& scale) {
  std::vector<std::pair<double, QString>> ticks;
  if (scale.categorical()) {
    const auto& cats = scale.categories();
    for (std::size_t i = 0; i < cats.size(); ++i)
      ticks.emplace_back(cats.size() == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(cats.size() - 1),
                         QString::fromStdString(cats[i]));
  } else if (scale.max() > scale.min()) {
    ticks.emplace_back(0, tickText(scale.min()));
    ticks.emplace_back(1, tickText(scale.max()));
  } else if (!scale.positions().empty()) {
    ticks.emplace_back(0.5, tickText(scale.min()));
  }
  return ticks;
}

}  // namespace

QRectF ComparePlot::plotRect() const {
  return QRectF(kMarginLeft, kMarginTop, std::max(1.0, width() - kMarginLeft - kMarginRight),
                std::max(1.0, height() - kMarginTop - kMarginBottom));
}

QColor ComparePlot::rampColour(std::optional<double> t) {
  if (!t) return QColor(150, 150, 150);
  const double clamped = std::clamp(*t, 0.0, 1.0);
  return QColor::fromHsvF(static_cast<float>((1.0 - clamped) * 240.0 / 360.0), 0.9f, 0.85f);
}

void ComparePlot::drawVerticalTicks(QPainter& p, double x, const compare::AxisScale& scale, bool labelsLeft) const {
  const QRectF r = plotRect();
  const auto label = [&](double position, const QString& text) {
    const double y = r.bottom() - position * r.height();
    p.drawLine(QPointF(x - 3, y), QPointF(x + 3, y));
    const QRectF box = labelsLeft ? QRectF(x - 66, y - 8, 60, 16) : QRectF(x + 6, y - 8, 60, 16);
    p.drawText(box, (labelsLeft ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter,
               p.fontMetrics().elidedText(text, Qt::ElideRight, 60));
  };
  for (const auto& [position, text] : ticksOf(scale)) label(position, text);
}

void ComparePlot::drawHorizontalTicks(QPainter& p, const compare::AxisScale& scale) const {
  const QRectF r = plotRect();
  const auto label = [&](double position, const QString& text) {
    const double x = r.left() + position * r.width();
    p.drawLine(QPointF(x, r.bottom()), QPointF(x, r.bottom() + 4));
    p.drawText(QRectF(x - 50, r.bottom() + 5, 100, 16), Qt::AlignHCenter | Qt::AlignTop,
               p.fontMetrics().elidedText(text, Qt::ElideRight, 100));
  };
  for (const auto& [position, text] : ticksOf(scale)) label(position, text);
}

void ComparePlot::drawEmptyNote(QPainter& p, const QString& text) const {
  p.setPen(palette().color(QPalette::PlaceholderText));
  p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, text);
}

}  // namespace orrery::panels
