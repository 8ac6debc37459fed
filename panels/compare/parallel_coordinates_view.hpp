// Parallel coordinates of the compared runs: one vertical axis per parameter, the chosen
// metric's axis last, one polyline per run through its positions, coloured by its metric
// value (compare_plot's ramp). A run lacking a parameter breaks its line at that axis.
#pragma once

#include "compare/compare_plot.hpp"

#include <QStringList>

class QPainter;

#include <optional>
#include <vector>

namespace orrery::panels {

class ParallelCoordinatesView : public ComparePlot {
  Q_OBJECT
 public:
  explicit ParallelCoordinatesView(QWidget* parent = nullptr) : ComparePlot(parent) {}

  // axes: the parameters then the metric; colour: the metric's scale (its positions colour the runs).
  void setData(std::vector<PlotAxis> axes, compare::AxisScale colour, QStringList runLabels);

  int axisCount() const { return static_cast<int>(axes_.size()); }
  const std::vector<PlotAxis>& axes() const { return axes_; }
  double axisX(int axis) const;
  // Where run `run` crosses axis `axis`; nullopt where it has no value there.
  std::optional<QPointF> vertex(int run, int axis) const;
  QColor runColour(int run) const;
  int runAt(QPointF point) const override;   // the nearest line or vertex within 5 px
  static constexpr double kVertexRadius = 4;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  void drawRun(QPainter& p, int run, double width) const;

  std::vector<PlotAxis> axes_;
  compare::AxisScale colour_;
  QStringList labels_;
};

}  // namespace orrery::panels
