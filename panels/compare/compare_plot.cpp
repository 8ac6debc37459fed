#include "compare/compare_plot.hpp"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

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

ComparePlot::ComparePlot(QWidget* parent) : QWidget(parent) { setMouseTracking(true); }

void ComparePlot::setHoverContent(QStringList labels, std::vector<const PlotAxis*> axes) {
  hoverLabels_ = std::move(labels);
  hoverAxes_ = std::move(axes);
  hovered_ = -1;
}

QString ComparePlot::toolTipFor(int run) const {
  if (run < 0 || run >= hoverLabels_.size()) return {};
  QString text = QStringLiteral("<b>%1</b>").arg(hoverLabels_[run].toHtmlEscaped());
  for (const PlotAxis* axis : hoverAxes_) {
    const QString value = run < axis->values.size() ? axis->values[run] : QString();
    text += QStringLiteral("<br>%1: %2").arg(axis->title.toHtmlEscaped(),
                                             value.isEmpty() ? tr("(none)") : value.toHtmlEscaped());
  }
  return text;
}

bool ComparePlot::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const int run = runAt(help->pos());
    if (run >= 0) {
      QToolTip::showText(help->globalPos(), toolTipFor(run), this);
    } else {
      QToolTip::hideText();
      event->ignore();
    }
    return true;
  }
  return QWidget::event(event);
}

void ComparePlot::mouseMoveEvent(QMouseEvent* event) {
  setHovered(runAt(event->position()));
  QWidget::mouseMoveEvent(event);
}

void ComparePlot::leaveEvent(QEvent* event) {
  setHovered(-1);
  QWidget::leaveEvent(event);
}

void ComparePlot::setHovered(int run) {
  if (run == hovered_) return;
  hovered_ = run;
  update();
}

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
