#include "charts/charts_panel.hpp"

#include "charts/metric_chart.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QVBoxLayout>

#include <set>

namespace orrery::panels {

namespace {
constexpr int kPollMs = 80;
constexpr int kColumns = 2;
}  // namespace

ChartsPanel::ChartsPanel(std::shared_ptr<series::SeriesStore> store, QWidget* parent)
    : QWidget(parent), store_(std::move(store)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  buildToolbar();

  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  auto* page = new QWidget(scroll);
  auto* page_layout = new QVBoxLayout(page);
  empty_note_ = new QLabel(tr("Select runs to chart their metrics."), page);
  empty_note_->setAlignment(Qt::AlignCenter);
  page_layout->addWidget(empty_note_);
  grid_ = new QGridLayout();
  page_layout->addLayout(grid_);
  page_layout->addStretch(1);
  scroll->setWidget(page);
  layout->addWidget(scroll, 1);

  poll_.setInterval(kPollMs);
  connect(&poll_, &QTimer::timeout, this, [this] {
    if (store_->generation() != seen_generation_) refresh();
  });
  poll_.start();
}

void ChartsPanel::buildToolbar() {
  auto* bar = new QHBoxLayout();
  x_axis_ = new QComboBox(this);
  x_axis_->setObjectName(QStringLiteral("xAxis"));
  x_axis_->addItem(tr("Step"), static_cast<int>(XAxisKind::Step));
  x_axis_->addItem(tr("Wall time"), static_cast<int>(XAxisKind::WallTime));
  x_axis_->addItem(tr("Relative time"), static_cast<int>(XAxisKind::RelativeTime));
  x_axis_->setToolTip(tr("What the x axis shows"));
  log_y_ = new QCheckBox(tr("Log y"), this);
  log_y_->setObjectName(QStringLiteral("logY"));
  per_rank_ = new QCheckBox(tr("Per rank"), this);
  per_rank_->setObjectName(QStringLiteral("perRank"));
  per_rank_->setToolTip(tr("One line per rank instead of the mean with its min/max band"));
  smoothing_ = new QSlider(Qt::Horizontal, this);
  smoothing_->setObjectName(QStringLiteral("smoothing"));
  smoothing_->setRange(0, 99);
  smoothing_->setToolTip(tr("EMA smoothing; the raw line stays faint behind"));
  smoothing_value_ = new QLabel(QStringLiteral("0.00"), this);
  auto* reset = new QPushButton(tr("Reset view"), this);
  reset->setObjectName(QStringLiteral("resetView"));
  reset->setToolTip(tr("Every chart shows all its data again (double-click does it for one chart)"));

  bar->addWidget(new QLabel(tr("x:"), this));
  bar->addWidget(x_axis_);
  bar->addWidget(log_y_);
  bar->addWidget(per_rank_);
  bar->addWidget(new QLabel(tr("Smoothing:"), this));
  bar->addWidget(smoothing_, 1);
  bar->addWidget(smoothing_value_);
  bar->addWidget(reset);
  static_cast<QVBoxLayout*>(layout())->addLayout(bar);

  connect(x_axis_, &QComboBox::currentIndexChanged, this, &ChartsPanel::optionsFromToolbar);
  connect(log_y_, &QCheckBox::toggled, this, &ChartsPanel::optionsFromToolbar);
  connect(per_rank_, &QCheckBox::toggled, this, &ChartsPanel::optionsFromToolbar);
  connect(smoothing_, &QSlider::valueChanged, this, &ChartsPanel::optionsFromToolbar);
  connect(reset, &QPushButton::clicked, this, &ChartsPanel::resetViews);
}

void ChartsPanel::optionsFromToolbar() {
  ChartOptions o;
  o.x_axis = static_cast<XAxisKind>(x_axis_->currentData().toInt());
  o.log_y = log_y_->isChecked();
  o.per_rank = per_rank_->isChecked();
  o.smoothing = smoothing_->value() / 100.0;
  smoothing_value_->setText(QString::number(o.smoothing, 'f', 2));
  setOptions(o);
}

void ChartsPanel::setOptions(const ChartOptions& options) {
  options_ = options;
  // Keep the toolbar in step when called from outside (signals blocked: no loop).
  const QSignalBlocker b1(x_axis_), b2(log_y_), b3(per_rank_), b4(smoothing_);
  x_axis_->setCurrentIndex(x_axis_->findData(static_cast<int>(options.x_axis)));
  log_y_->setChecked(options.log_y);
  per_rank_->setChecked(options.per_rank);
  smoothing_->setValue(static_cast<int>(options.smoothing * 100 + 0.5));
  smoothing_value_->setText(QString::number(options.smoothing, 'f', 2));
  for (auto& [metric, chart] : charts_) chart->setOptions(options_);
}

void ChartsPanel::setRuns(const QStringList& runIds, const QStringList& runLabels) {
  runs_.clear();
  for (qsizetype i = 0; i < runIds.size(); ++i) {
    const QString label = i < runLabels.size() && !runLabels[i].isEmpty() ? runLabels[i] : runIds[i];
    runs_.push_back({runIds[i].toStdString(), label});
  }
  for (auto& [metric, chart] : charts_) chart->setRuns(runs_);
  refresh();
}

void ChartsPanel::refresh() {
  seen_generation_ = store_->generation();
  syncCharts();
  for (auto& [metric, chart] : charts_) chart->requestUpdate();
}

void ChartsPanel::resetViews() {
  for (auto& [metric, chart] : charts_) chart->resetView();
}

void ChartsPanel::syncCharts() {
  std::set<QString> names;
  for (const auto& run : runs_) {
    for (const auto& key : store_->keys_of_run(run.run_id)) {
      if (key.group == "metrics") names.insert(QString::fromStdString(key.name));
    }
  }
  bool changed = false;
  for (auto it = charts_.begin(); it != charts_.end();) {
    if (!names.count(it->first)) {
      delete it->second;
      it = charts_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const QString& name : names) {
    if (charts_.count(name)) continue;
    auto* chart = new MetricChart(store_, name, grid_->parentWidget());
    chart->setObjectName(QStringLiteral("chart:") + name);
    chart->setOptions(options_);
    chart->setRuns(runs_);
    charts_[name] = chart;
    changed = true;
  }
  if (changed) {
    layoutCharts();
    emit chartsChanged();
  }
}

void ChartsPanel::layoutCharts() {
  int i = 0;
  for (auto& [metric, chart] : charts_) {
    grid_->addWidget(chart, i / kColumns, i % kColumns);  // re-adding moves it
    ++i;
  }
  empty_note_->setVisible(charts_.empty());
}

std::vector<MetricChart*> ChartsPanel::charts() const {
  std::vector<MetricChart*> out;
  for (const auto& [metric, chart] : charts_) out.push_back(chart);
  return out;
}

MetricChart* ChartsPanel::chart(const QString& metric) const {
  auto it = charts_.find(metric);
  return it == charts_.end() ? nullptr : it->second;
}

}  // namespace orrery::panels
