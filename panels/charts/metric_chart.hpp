// One chart: one metric of the selected runs, a series per run (or per rank, or the
// mean with its min/max band), drawn from decimated points computed off the UI thread.
//
// Mouse: drag a rectangle to zoom, the wheel zooms around the pointer (Ctrl: x only),
// middle-drag or Shift+drag pans, double-click resets (the view follows the data
// again), right-click opens the export menu. The crosshair follows the pointer.
#pragma once

#include <QChartView>
#include <QFutureWatcher>
#include <QTimer>
#include <QList>
#include <QPointF>
#include <QString>

// moc 6.4 cannot parse the C++20 standard headers these bring in; it needs no more than names.
#ifndef Q_MOC_RUN
#include "charts/crosshair.hpp"
#include "charts/plot_layer.hpp"
#include "charts/series_reducer.hpp"
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <utility>
#include <vector>
#endif

class QAbstractAxis;
class QLineSeries;
class QMenu;

namespace orrery::panels {


class MetricChart : public QChartView {
  Q_OBJECT

 public:
  MetricChart(std::shared_ptr<series::SeriesStore> store, const QString& metric, QWidget* parent = nullptr);
  ~MetricChart() override;

  const QString& metric() const { return metric_; }
  void setRuns(const std::vector<ChartRun>& runs);
  const std::vector<ChartRun>& runs() const { return runs_; }
  void setOptions(const ChartOptions& options);
  const ChartOptions& options() const { return options_; }

  // Data arrived: schedules a reduction (at most one in flight; later asks coalesce).
  void requestUpdate();
  // Reduces on the calling thread and draws at once (CLI export, benchmark).
  void updateNow();
  // Shows [lo, hi] (axis units) and stops following the data.
  void setXRange(double lo, double hi);
  std::pair<double, double> xRange() const;
  // Follow the data again: the whole x extent, y fitted.
  void resetView();
  bool followsData() const { return follow_data_; }

  // The legend entry, pen and visibility of a key's line, or null. It holds no points:
  // the chart's PlotLayer draws them (Qt Charts' own line items are far too slow).
  QLineSeries* line(const LineKey& key) const;
  // The points drawn for a key (axis units, sorted by x); empty when it is not drawn.
  QList<QPointF> linePoints(const LineKey& key) const;
  bool hasLine(const LineKey& key) const;
  // Whether the line of (run, rank) is shown (legend click toggles it); rank -1: the run's.
  bool isLineShown(int run, int rank) const;
  void setRunVisible(int run, int rank, bool visible);
  const std::shared_ptr<series::SeriesStore>& store() const { return store_; }
  // Whether the min/max band of a run is drawn (its edges: linePoints of BandLow/BandHigh).
  bool hasBand(int run) const;
  int drawnPointCount() const;
  QString crosshairText() const;
  QMenu* createContextMenu(QWidget* parent);

 signals:
  // A reduction was drawn.
  void updated();

 protected:
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  ReduceRequest makeRequest();
  void startJob();
  void jobFinished();
  void apply(const ReduceResult& result);
  void rebuildAxes();
  void onUserRangeChange();
  void holdRepaints();
  void releaseRepaints();
  QLineSeries* lineFor(const LineKey& key);
  void clearLines();
  void removeStaleLines(const ReduceResult& result);
  QString formatX(double x) const;
  PlotLayer::Style lineStyle(const LineKey& key) const;
  std::vector<Crosshair::Line> crosshairLines() const;
  void exportWithDialog(const QString& format);

  std::shared_ptr<series::SeriesStore> store_;
  QString metric_;
  std::vector<ChartRun> runs_;
  ChartOptions options_;
  std::shared_ptr<ReducerCache> cache_ = std::make_shared<ReducerCache>();
  QFutureWatcher<ReduceResult> watcher_;
  bool in_flight_ = false;
  bool pending_ = false;          // asked for while a job ran
  std::uint64_t serial_ = 0;
  std::uint64_t applied_serial_ = 0;
  std::uint64_t view_serial_ = 0; // bumped when the view or the options change
  std::uint64_t job_view_serial_ = 0;
  bool follow_data_ = true;
  double x_min_ = 0, x_max_ = 1;
  bool applying_ = false;         // axis ranges being set by us, not the user
  QTimer repaint_hold_;           // running while repaints wait for a new view's points
  QAbstractAxis* x_axis_ = nullptr;
  QAbstractAxis* y_axis_ = nullptr;
  std::map<LineKey, QLineSeries*> lines_;
  PlotLayer* layer_ = nullptr;  // owned by the chart
  std::set<std::pair<int, int>> hidden_;  // (run, rank) hidden by a legend click
  std::unique_ptr<Crosshair> crosshair_;
  QPoint pan_from_;
  bool panning_ = false;
};

}  // namespace orrery::panels
