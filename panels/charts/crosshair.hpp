// The crosshair of a chart: a vertical line under the mouse and a box with the x value
// and, for every visible line, its value at the nearest drawn point.
#pragma once

#include <QPointF>
#include <QString>

#include <QList>

#include <functional>
#include <vector>

class QGraphicsLineItem;
class QGraphicsSimpleTextItem;
class QGraphicsRectItem;

class QChart;

namespace orrery::panels {

class Crosshair {
 public:
  // A line listed in the box: its name and its drawn points (axis units, sorted by x).
  struct Line {
    QString name;
    const QList<QPointF>* points;
  };
  // format_x turns an x value (axis units) into text; lines gives the visible lines to list.
  Crosshair(QChart* chart, std::function<QString(double)> format_x, std::function<std::vector<Line>()> lines);
  // pos in the chart's scene coordinates; hides itself outside the plot area.
  void moveTo(QPointF pos);
  void hide();
  bool isVisible() const;
  QString text() const;

 private:
  QChart* chart_;
  std::function<QString(double)> format_x_;
  std::function<std::vector<Line>()> lines_;
  QGraphicsLineItem* line_;
  QGraphicsRectItem* box_;
  QGraphicsSimpleTextItem* label_;
};

}  // namespace orrery::panels
