// The live charts panel: the selected runs' metrics overlaid, one chart per metric
// name, with the view options in a toolbar (x axis, log y, per rank or mean with a
// min/max band, EMA smoothing). It only reads the SeriesStore: whoever fills the
// store calls refresh(), and a 80 ms timer also polls the store's generation, so
// a burst of points costs one reduction per chart, never a repaint per point.
#pragma once

#include <QStringList>
#include <QTimer>
#include <QWidget>

// moc 6.4 cannot parse the C++20 standard headers these bring in; it needs no more than names.
#ifndef Q_MOC_RUN
#include "charts/series_reducer.hpp"
#include <map>
#include <memory>
#include <vector>
#endif

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QSlider;

namespace orrery::panels {

class MetricChart;

class ChartsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ChartsPanel(std::shared_ptr<series::SeriesStore> store, QWidget* parent = nullptr);

  // The charts on show, ordered by metric name.
  std::vector<MetricChart*> charts() const;
  MetricChart* chart(const QString& metric) const;
  const ChartOptions& options() const { return options_; }

 public slots:
  // The runs to overlay (ids as in the store; labels for the legends, ids when missing).
  void setRuns(const QStringList& runIds, const QStringList& runLabels);
  // Data arrived: new metrics get a chart, every chart redraws from the store.
  void refresh();
  void setOptions(const orrery::panels::ChartOptions& options);
  // Every chart follows its data again.
  void resetViews();

 signals:
  // A chart was added or removed.
  void chartsChanged();

 private:
  void buildToolbar();
  void syncCharts();
  void layoutCharts();
  void optionsFromToolbar();

  std::shared_ptr<series::SeriesStore> store_;
  std::vector<ChartRun> runs_;
  ChartOptions options_;
  std::map<QString, MetricChart*> charts_;
  QTimer poll_;
  std::uint64_t seen_generation_ = ~std::uint64_t{0};
  QComboBox* x_axis_ = nullptr;
  QCheckBox* log_y_ = nullptr;
  QCheckBox* per_rank_ = nullptr;
  QSlider* smoothing_ = nullptr;
  QLabel* smoothing_value_ = nullptr;
  QLabel* empty_note_ = nullptr;
  QGridLayout* grid_ = nullptr;
};

}  // namespace orrery::panels
