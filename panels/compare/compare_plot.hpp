// What the comparison's two charts share: the plot area inside the margins, the colour
// ramp that colours runs by the chosen metric, and the axis ticks. Positions on an axis
// are compare::AxisScale's 0..1; the widgets map them onto plotRect().
#pragma once

#include "compare/axis_scale.hpp"

#include <QColor>
#include <QRectF>
#include <QString>
#include <QWidget>

#include <optional>

class QPainter;

namespace orrery::panels {

// One axis of a chart: its title and where it places each run.
struct PlotAxis {
  QString title;
  compare::AxisScale scale;
};

class ComparePlot : public QWidget {
  Q_OBJECT
 public:
  using QWidget::QWidget;

  // Where position 0..1 of the axes lands: left/bottom edge is 0, right/top edge is 1.
  QRectF plotRect() const;
  // Blue (0, low) through green to red (1, high); grey for a run without a value.
  static QColor rampColour(std::optional<double> t);
  QSize sizeHint() const override { return {520, 320}; }
  QSize minimumSizeHint() const override { return {240, 160}; }

 protected:
  // Tick labels of an axis along a vertical line at x (numeric: its range, categorical: each category).
  void drawVerticalTicks(QPainter& p, double x, const compare::AxisScale& scale, bool labelsLeft) const;
  void drawHorizontalTicks(QPainter& p, const compare::AxisScale& scale) const;
  void drawEmptyNote(QPainter& p, const QString& text) const;
};

}  // namespace orrery::panels
