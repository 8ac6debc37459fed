// Scatter of the compared runs: any parameter (x) against a metric summary (y), one disc
// per run coloured by its y (compare_plot's ramp). Categorical parameters spread their
// ordered categories evenly along x.
#pragma once

#include "compare/compare_plot.hpp"

#include <QStringList>

#include <optional>

namespace orrery::panels {

class ScatterView : public ComparePlot {
  Q_OBJECT
 public:
  explicit ScatterView(QWidget* parent = nullptr) : ComparePlot(parent) {}

  void setData(PlotAxis x, PlotAxis y, QStringList runLabels);

  const PlotAxis& xAxis() const { return x_; }
  const PlotAxis& yAxis() const { return y_; }
  // The centre of run `run`'s disc; nullopt when it lacks x or y.
  std::optional<QPointF> pointOf(int run) const;
  QColor runColour(int run) const;
  int runAt(QPointF point) const override;   // the nearest disc within kRadius + 3 px
  static constexpr double kRadius = 5;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  PlotAxis x_, y_;
  QStringList labels_;
};

}  // namespace orrery::panels
