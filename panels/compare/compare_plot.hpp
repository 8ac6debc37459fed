// What the comparison's two charts share: the plot area inside the margins, the colour
// ramp that colours runs by the chosen metric, the axis ticks, and hovering: the run under
// the mouse (each chart says which, runAt) is drawn on top and named in a tooltip with its
// value on every axis. Positions on an axis are compare::AxisScale's 0..1; the widgets map
// them onto plotRect().
#pragma once

#include "compare/axis_scale.hpp"

#include <QColor>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>
#include <vector>

class QPainter;

namespace orrery::panels {

// One axis of a chart: its title, where it places each run and each run's value as text
// (empty where the run has none), for the tooltip.
struct PlotAxis {
  QString title;
  compare::AxisScale scale;
  QStringList values;
};

class ComparePlot : public QWidget {
  Q_OBJECT
 public:
  // Where position 0..1 of the axes lands: left/bottom edge is 0, right/top edge is 1.
  QRectF plotRect() const;
  // Blue (0, low) through green to red (1, high); grey for a run without a value.
  static QColor rampColour(std::optional<double> t);
  QSize sizeHint() const override { return {520, 320}; }
  QSize minimumSizeHint() const override { return {240, 160}; }

  // The run drawn at `point` (the nearest within a few pixels), -1 where none is.
  virtual int runAt(QPointF point) const = 0;
  // The run under the mouse, -1 when none: drawn on top of the others, emphasised.
  int hoveredRun() const { return hovered_; }
  // What the tooltip over run `run` says: its label, then "axis: value" for each axis.
  QString toolTipFor(int run) const;

 protected:
  explicit ComparePlot(QWidget* parent = nullptr);
  // The run labels and axes the tooltip reads; the subclasses set them with their data.
  void setHoverContent(QStringList labels, std::vector<const PlotAxis*> axes);
  bool event(QEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;

  // Tick labels of an axis along a vertical line at x (numeric: its range, categorical: each category).
  void drawVerticalTicks(QPainter& p, double x, const compare::AxisScale& scale, bool labelsLeft) const;
  void drawHorizontalTicks(QPainter& p, const compare::AxisScale& scale) const;
  void drawEmptyNote(QPainter& p, const QString& text) const;

 private:
  void setHovered(int run);

  QStringList hoverLabels_;
  std::vector<const PlotAxis*> hoverAxes_;   // point into the subclass's members
  int hovered_ = -1;
};

}  // namespace orrery::panels
