// The crosshair of a chart: a vertical line under the mouse and a box with the x value
// and, for every visible line, its value at the nearest drawn point.
#pragma once

#include <QPointF>
#include <QString>

#include <functional>

class QGraphicsLineItem;
class QGraphicsSimpleTextItem;
class QGraphicsRectItem;

class QChart;

namespace orrery::panels {

class Crosshair {
 public:
  // format_x turns an x value (axis units) into text.
  Crosshair(QChart* chart, std::function<QString(double)> format_x);
  // pos in the chart's scene coordinates; hides itself outside the plot area.
  void moveTo(QPointF pos);
  void hide();
  bool isVisible() const;
  QString text() const;

 private:
  QChart* chart_;
  std::function<QString(double)> format_x_;
  QGraphicsLineItem* line_;
  QGraphicsRectItem* box_;
  QGraphicsSimpleTextItem* label_;
};

}  // namespace orrery::panels
