// CheckpointBrowser: the selected tensor's histogram (Qt Charts) and its 2-D slice as a
// heatmap and a lazily loading table; the slice's dimensions are picked as in HDFView.
#include "checkpoints/checkpoint_browser.hpp"

#include "checkpoints/heatmap_view.hpp"
#include "checkpoints/inspect_task.hpp"
#include "checkpoints/tensor_table_model.hpp"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QSpinBox>
#include <QTableView>
#include <QTreeWidget>
#include <QValueAxis>

#include <algorithm>

namespace orrery::panels {

namespace {
constexpr int kHistogramBins = 64;
}

void CheckpointBrowser::on_selection() {
  const auto items = tree_->selectedItems();
  const QString path = items.isEmpty() ? QString() : items.front()->data(0, Qt::UserRole).toString();
  if (path.isEmpty() || path == selected_) return;
  selected_ = path;
  histogram_ = {};
  chart_->setChart(new QChart);
  const auto* t = selected_info();
  if (!t) return;
  rebuild_slice_controls(*t);
  load_histogram(*t);
  load_views();
}

void CheckpointBrowser::selectTensor(const QString& tensorPath) {
  if (QTreeWidgetItem* item = items_.value(tensorPath)) tree_->setCurrentItem(item);
}

void CheckpointBrowser::rebuild_slice_controls(const h5inspect::TensorInfo& t) {
  for (QSpinBox* s : fixed_) delete s;
  fixed_.clear();
  row_dim_->clear();
  col_dim_->clear();
  const int rank = static_cast<int>(t.shape.size());
  for (int d = 0; d < rank; ++d) {
    const QString label = QStringLiteral("dim %1 (%2)").arg(d).arg(t.shape[static_cast<std::size_t>(d)]);
    row_dim_->addItem(label, d);
    col_dim_->addItem(label, d);
  }
  slice_ = {};
  slice_.row_dim = 0;
  slice_.col_dim = rank >= 2 ? rank - 1 : -1;   // a matrix as stored; an N-D tensor's first and last dims
  slice_.fixed.assign(static_cast<std::size_t>(rank), 0);
  row_dim_->setCurrentIndex(0);
  col_dim_->setCurrentIndex(std::max(0, slice_.col_dim));
  col_dim_->setEnabled(rank >= 2);
  for (int d = 0; d < rank; ++d) {
    auto* spin = new QSpinBox;
    spin->setPrefix(QStringLiteral("[%1] = ").arg(d));
    spin->setRange(0, static_cast<int>(std::min<std::uint64_t>(t.shape[static_cast<std::size_t>(d)], INT_MAX) - 1));
    slice_row_->insertWidget(slice_row_->count() - 1, spin);
    connect(spin, &QSpinBox::editingFinished, this, &CheckpointBrowser::apply_slice_from_controls);
    fixed_.push_back(spin);
  }
  for (int d = 0; d < rank; ++d) fixed_[static_cast<std::size_t>(d)]->setVisible(d != slice_.row_dim && d != slice_.col_dim);
}

void CheckpointBrowser::apply_slice_from_controls() {
  std::vector<quint64> fixed;
  for (QSpinBox* s : fixed_) fixed.push_back(static_cast<quint64>(s->value()));
  setSlice(row_dim_->currentData().toInt(), col_dim_->isEnabled() ? col_dim_->currentData().toInt() : -1, fixed);
}

void CheckpointBrowser::setSlice(int rowDim, int colDim, const std::vector<quint64>& fixed) {
  const auto* t = selected_info();
  if (!t) return;
  const int rank = static_cast<int>(t->shape.size());
  if (rowDim < 0 || rowDim >= rank || colDim >= rank || colDim == rowDim || (colDim < 0 && rank > 1)) {
    show_message(tr("Pick two different dimensions of %1").arg(selected_), true);
    return;
  }
  slice_.row_dim = rowDim;
  slice_.col_dim = colDim;
  slice_.fixed.assign(static_cast<std::size_t>(rank), 0);
  for (std::size_t d = 0; d < fixed.size() && d < slice_.fixed.size(); ++d)
    slice_.fixed[d] = std::min<std::uint64_t>(fixed[d], t->shape[d] - 1);
  row_dim_->setCurrentIndex(rowDim);
  if (colDim >= 0) col_dim_->setCurrentIndex(colDim);
  for (int d = 0; d < rank && d < static_cast<int>(fixed_.size()); ++d) {
    QSignalBlocker block(fixed_[static_cast<std::size_t>(d)]);
    fixed_[static_cast<std::size_t>(d)]->setValue(static_cast<int>(slice_.fixed[static_cast<std::size_t>(d)]));
    fixed_[static_cast<std::size_t>(d)]->setVisible(d != rowDim && d != colDim);
  }
  load_views();
}

void CheckpointBrowser::load_histogram(const h5inspect::TensorInfo& t) {
  auto it = stats_.find(selected_);
  if (it == stats_.end() || !t.numeric() || it->second.finite == 0) return;   // drawn once the scan has its range
  const double lo = it->second.min, hi = it->second.max;
  histogram_task_->start([this, file = file_, t, lo, hi, path = selected_](InspectTask::Channel& ch) {
    h5inspect::Histogram h = h5inspect::tensor_histogram(*file, t, lo, hi, kHistogramBins, ch.progress(), ch.cancel());
    ch.deliver([this, h, path] {
      if (path != selected_) return;
      histogram_ = h;
      show_histogram();
      emit histogramReady(path);
    });
  });
}

void CheckpointBrowser::show_histogram() {
  auto* upper = new QLineSeries;
  const std::size_t n = histogram_.counts.size();
  const double width = n ? (histogram_.hi - histogram_.lo) / static_cast<double>(n) : 0;
  double top = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x0 = histogram_.lo + width * static_cast<double>(i), c = static_cast<double>(histogram_.counts[i]);
    upper->append(x0, c);
    upper->append(n == 1 ? x0 + 1 : x0 + width, c);
    top = std::max(top, c);
  }
  auto* area = new QAreaSeries(upper);
  area->setName(selected_);
  auto* chart = new QChart;
  chart->addSeries(area);
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  x->setTitleText(tr("value"));
  y->setTitleText(tr("count"));
  y->setRange(0, std::max(1.0, top * 1.05));
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  area->attachAxis(x);
  area->attachAxis(y);
  chart->legend()->setVisible(false);
  chart->setTitle(tr("%1: %2 bins").arg(selected_).arg(n));
  chart_->setChart(chart);   // the view owns the chart and deletes the previous one
}

void CheckpointBrowser::load_views() {
  const auto* t = selected_info();
  delete table_model_;
  table_model_ = nullptr;
  heatmap_->setImage({}, {});
  if (!t || !t->numeric() || t->shape.empty()) return;
  table_model_ = new TensorTableModel(file_, *t, slice_, this);
  table_view_->setModel(table_model_);
  connect(table_model_, &TensorTableModel::tileLoaded, this, [this] {
    if (!table_model_->lastError().isEmpty()) show_message(table_model_->lastError(), true);
  });

  // The heatmap samples the slice on a grid of at most kMaxSide x kMaxSide values.
  h5inspect::SliceSpec s = slice_;
  const std::uint64_t rows = t->shape[static_cast<std::size_t>(s.row_dim)];
  const std::uint64_t cols = s.col_dim < 0 ? 1 : t->shape[static_cast<std::size_t>(s.col_dim)];
  const std::uint64_t side = HeatmapView::kMaxSide;
  s.row_step = std::max<std::uint64_t>(1, (rows + side - 1) / side);
  s.col_step = std::max<std::uint64_t>(1, (cols + side - 1) / side);
  s.rows = rows == 0 ? 0 : (rows - 1) / s.row_step + 1;
  s.cols = cols == 0 ? 0 : (cols - 1) / s.col_step + 1;
  if (s.rows == 0 || s.cols == 0) return;
  const QString caption = tr("%1 × %2, every %3th row and %4th column")
                              .arg(rows).arg(cols).arg(s.row_step).arg(s.col_step);
  detail_task_->start([this, file = file_, t = *t, s, caption, path = selected_](InspectTask::Channel& ch) {
    std::vector<double> values = file->read_slice(t, s);
    QImage image = heatmap_image(values, static_cast<int>(s.rows), static_cast<int>(s.cols));
    ch.deliver([this, image, caption, path] {
      if (path != selected_) return;
      heatmap_->setImage(image, caption);
      emit heatmapReady(path);
    });
  });
}

}  // namespace orrery::panels
