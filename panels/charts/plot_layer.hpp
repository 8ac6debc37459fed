// The decimated lines and min/max bands of one chart, drawn by one QGraphicsItem over
// the plot area instead of by Qt Charts' line items. Qt Charts rebuilds a QPainterPath
// and strokes a second one for hit-testing for every point of a QLineSeries on every
// axis change and every replace(); with ten runs of a few thousand decimated points that
// is most of a frame. This item maps the points to pixels itself and draws each line
// with one drawPolyline, with a plain rectangle as its shape (it takes no mouse input).
// The chart keeps its (empty) QLineSeries for the axes' domain, legend and colours.
#pragma once

#include <QGraphicsItem>
#include <QList>
#include <QPointF>

#ifndef Q_MOC_RUN
#include "charts/series_reducer.hpp"
#include <functional>
#include <map>
#endif

class QAbstractAxis;
class QChart;

namespace orrery::panels {

class PlotLayer : public QGraphicsItem {
 public:
  struct Style {
    QColor colour;
    bool shown = true;
  };
  // style(key) says how the line of key is drawn now (for a band: its BandLow key).
  PlotLayer(QChart* chart, std::function<Style(const LineKey&)> style);

  void setAxes(QAbstractAxis* x, QAbstractAxis* y);
  // The lines to draw, in axis units, sorted by x (a ReduceResult's lines).
  void setLines(std::map<LineKey, QList<QPointF>> lines);
  const std::map<LineKey, QList<QPointF>>& lines() const { return lines_; }
  // The plot area moved or resized.
  void plotAreaChanged();

  QRectF boundingRect() const override;
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  QChart* chart_;
  std::function<Style(const LineKey&)> style_;
  QAbstractAxis* x_axis_ = nullptr;
  QAbstractAxis* y_axis_ = nullptr;
  std::map<LineKey, QList<QPointF>> lines_;
  QRectF area_;
};

}  // namespace orrery::panels
