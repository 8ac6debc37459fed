#include "compare/compare_panel.hpp"

#include "compare/compare_table_model.hpp"
#include "compare/parallel_coordinates_view.hpp"
#include "compare/scatter_view.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentMap>

#include <limits>

namespace orrery::panels {

namespace {

QStringList toQStrings(const std::vector<std::string>& names) {
  QStringList out;
  for (const auto& n : names) out << QString::fromStdString(n);
  return out;
}

// Refills a combo box, keeping its current text when it is still offered.
void refill(QComboBox* box, const QStringList& items) {
  const QString current = box->currentText();
  box->clear();
  box->addItems(items);
  if (const int i = box->findText(current); i >= 0) box->setCurrentIndex(i);
}

}  // namespace

ComparePanel::ComparePanel(const runfiles::Project& project, QWidget* parent) : QWidget(parent), project_(project) {
  buildUi();
  refreshViews();
}

ComparePanel::~ComparePanel() {
  if (watcher_) {
    cancelFlag_->store(true);
    watcher_->cancel();
    watcher_->waitForFinished();
  }
}

void ComparePanel::buildUi() {
  compareSelected_ = new QPushButton(tr("Compare selected"), this);
  compareSelected_->setToolTip(tr("Compare the runs selected in the runs browser"));
  overlay_ = new QPushButton(tr("Overlay curves"), this);
  overlay_->setToolTip(tr("Show the checked runs' curves overlaid in the live charts"));
  progress_ = new QProgressBar(this);
  progress_->setVisible(false);
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setEnabled(false);
  message_ = new QLabel(this);
  auto* top = new QHBoxLayout;
  top->addWidget(compareSelected_);
  top->addWidget(overlay_);
  top->addWidget(progress_, 1);
  top->addWidget(cancel_);
  top->addWidget(message_, 1);

  allParams_ = new QCheckBox(tr("All parameters"), this);
  metric_ = new QComboBox(this);
  metric_->setToolTip(tr("The metric of the summary columns and the charts"));
  chartSummary_ = new QComboBox(this);
  chartSummary_->addItems({tr("final"), tr("best"), tr("at step")});
  chartSummary_->setToolTip(tr("The summary the charts plot"));
  bestRule_ = new QComboBox(this);
  bestRule_->addItems({tr("best by name"), tr("best = min"), tr("best = max")});
  bestRule_->setToolTip(tr("By name: min for loss, error, latency, perplexity, *_ms...; max for anything else"));
  step_ = new QSpinBox(this);
  step_->setRange(0, std::numeric_limits<int>::max());
  step_->setPrefix(tr("step "));
  step_->setToolTip(tr("k of \"at step k\": the value at the last logged step at or before k"));
  auto* choices = new QHBoxLayout;
  choices->addWidget(allParams_);
  choices->addWidget(new QLabel(tr("Metric:"), this));
  choices->addWidget(metric_, 1);
  choices->addWidget(bestRule_);
  choices->addWidget(step_);
  choices->addWidget(new QLabel(tr("Charts:"), this));
  choices->addWidget(chartSummary_);

  runList_ = new QListWidget(this);
  runList_->setToolTip(tr("Uncheck a run to leave it out of the table and the charts"));
  model_ = new CompareTableModel(this);
  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->setSortingEnabled(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setSortIndicatorShown(true);
  table_->verticalHeader()->setVisible(false);

  parallel_ = new ParallelCoordinatesView(this);
  scatter_ = new ScatterView(this);
  scatterX_ = new QComboBox(this);
  scatterY_ = new QComboBox(this);
  auto* scatterPage = new QWidget(this);
  auto* scatterBar = new QHBoxLayout;
  scatterBar->addWidget(new QLabel(tr("x:"), scatterPage));
  scatterBar->addWidget(scatterX_, 1);
  scatterBar->addWidget(new QLabel(tr("y:"), scatterPage));
  scatterBar->addWidget(scatterY_, 1);
  auto* scatterLayout = new QVBoxLayout(scatterPage);
  scatterLayout->setContentsMargins(0, 0, 0, 0);
  scatterLayout->addLayout(scatterBar);
  scatterLayout->addWidget(scatter_, 1);
  tabs_ = new QTabWidget(this);
  tabs_->addTab(parallel_, tr("Parallel coordinates"));
  tabs_->addTab(scatterPage, tr("Scatter"));

  auto* upper = new QSplitter(Qt::Horizontal, this);
  upper->addWidget(runList_);
  upper->addWidget(table_);
  upper->setStretchFactor(1, 3);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(upper);
  split->addWidget(tabs_);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addLayout(choices);
  layout->addWidget(split, 1);

  connect(compareSelected_, &QPushButton::clicked, this, &ComparePanel::compareSelectedRequested);
  connect(cancel_, &QPushButton::clicked, this, &ComparePanel::cancelLoading);
  connect(overlay_, &QPushButton::clicked, this, [this] {
    QStringList ids, labels;
    for (const auto* run : shownRuns()) {
      if (!run->loaded()) continue;   // a run without readable data has no curves to overlay
      ids << QString::fromStdString(run->id);
      labels << QString::fromStdString(run->name);
    }
    if (!ids.isEmpty()) emit overlayRequested(ids, labels);
  });
  const auto refresh = [this] {
    if (!filling_) refreshViews();
  };
  connect(allParams_, &QCheckBox::toggled, this, refresh);
  connect(metric_, &QComboBox::currentTextChanged, this, refresh);
  connect(chartSummary_, &QComboBox::currentIndexChanged, this, refresh);
  connect(bestRule_, &QComboBox::currentIndexChanged, this, refresh);
  connect(step_, &QSpinBox::valueChanged, this, refresh);
  connect(scatterX_, &QComboBox::currentTextChanged, this, refresh);
  connect(scatterY_, &QComboBox::currentTextChanged, this, refresh);
  connect(runList_, &QListWidget::itemChanged, this, refresh);
}

bool ComparePanel::loading() const { return watcher_ != nullptr; }

std::vector<const compare::ComparedRun*> ComparePanel::shownRuns() const {
  std::vector<const compare::ComparedRun*> out;
  for (int i = 0; i < runList_->count() && i < static_cast<int>(runs_.size()); ++i)
    if (runList_->item(i)->checkState() == Qt::Checked) out.push_back(&runs_[static_cast<std::size_t>(i)]);
  return out;
}

void ComparePanel::compareRuns(const QStringList& runIds) {
  if (watcher_) {
    // The old load's results are dropped: its watcher goes, its tasks stop at their next series.
    cancelFlag_->store(true);
    watcher_->disconnect();
    watcher_->cancel();
    watcher_->deleteLater();
    watcher_ = nullptr;
  }
  loadingIds_ = runIds;
  loadingIds_.removeDuplicates();
  arrived_.assign(static_cast<std::size_t>(loadingIds_.size()), std::nullopt);
  cancelFlag_ = std::make_shared<std::atomic<bool>>(false);
  watcher_ = new QFutureWatcher<compare::ComparedRun>(this);
  connect(watcher_, &QFutureWatcherBase::progressRangeChanged, progress_, &QProgressBar::setRange);
  connect(watcher_, &QFutureWatcherBase::progressValueChanged, progress_, &QProgressBar::setValue);
  connect(watcher_, &QFutureWatcherBase::resultReadyAt, this, [this](int index) {
    arrived_[static_cast<std::size_t>(index)] = watcher_->resultAt(index);
  });
  connect(watcher_, &QFutureWatcherBase::finished, this, &ComparePanel::loadFinished);
  progress_->setRange(0, static_cast<int>(loadingIds_.size()));
  progress_->setValue(0);
  progress_->setVisible(true);
  cancel_->setEnabled(true);
  message_->setText(tr("Loading %n run(s)...", nullptr, static_cast<int>(loadingIds_.size())));
  const runfiles::Project project = project_;
  const std::shared_ptr<std::atomic<bool>> flag = cancelFlag_;
  watcher_->setFuture(QtConcurrent::mapped(loadingIds_, [project, flag](const QString& id) {
    return compare::load_compared_run(project, id.toStdString(), flag.get());
  }));
}

void ComparePanel::cancelLoading() {
  if (!watcher_) return;
  cancelFlag_->store(true);
  watcher_->cancel();   // finished() follows once the running tasks return
}

void ComparePanel::loadFinished() {
  watcher_->deleteLater();
  watcher_ = nullptr;
  progress_->setVisible(false);
  cancel_->setEnabled(false);
  runs_.clear();
  int failed = 0, cancelled = 0;
  for (int i = 0; i < loadingIds_.size(); ++i) {
    auto& slot = arrived_[static_cast<std::size_t>(i)];
    compare::ComparedRun run;
    if (slot && slot->error != "cancelled") {
      run = std::move(*slot);
    } else {
      run.id = run.name = loadingIds_[i].toStdString();
      run.error = "cancelled";
    }
    if (run.error == "cancelled") ++cancelled;
    else if (!run.loaded()) ++failed;
    runs_.push_back(std::move(run));
  }
  arrived_.clear();
  QStringList notes;
  notes << tr("%n run(s)", nullptr, static_cast<int>(runs_.size()));
  if (failed > 0) notes << tr("%n unreadable", nullptr, failed);
  if (cancelled > 0) notes << tr("%n not loaded (cancelled)", nullptr, cancelled);
  message_->setText(notes.join(QStringLiteral(", ")));

  filling_ = true;
  runList_->clear();
  for (const auto& run : runs_) {
    auto* item = new QListWidgetItem(QString::fromStdString(run.name), runList_);
    item->setData(Qt::UserRole, QString::fromStdString(run.id));
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
    if (!run.loaded()) {
      item->setText(tr("%1 (%2)").arg(item->text(), QString::fromStdString(run.error)));
      item->setForeground(QColor(190, 30, 30));
    }
  }
  filling_ = false;
  refreshViews();
  emit runsLoaded();
}

compare::SummaryChoice ComparePanel::chartChoice() const {
  compare::SummaryChoice choice;
  choice.kind = static_cast<compare::SummaryKind>(std::max(0, chartSummary_->currentIndex()));
  choice.step = step_->value();
  choice.best = static_cast<compare::BestRule>(std::max(0, bestRule_->currentIndex()));
  return choice;
}

void ComparePanel::fillChoices() {
  const auto shown = shownRuns();
  std::vector<const compare::Params*> params;
  for (const auto* run : shown) params.push_back(&run->params);
  const QStringList metrics = toQStrings(compare::metric_names(shown));
  filling_ = true;
  refill(metric_, metrics);
  refill(scatterY_, metrics);
  refill(scatterX_, params.empty() ? QStringList() : toQStrings(compare::parameter_names(params, false)));
  filling_ = false;
}

void ComparePanel::refreshViews() {
  fillChoices();
  const auto shown = shownRuns();
  std::vector<const compare::Params*> params;
  for (const auto* run : shown) params.push_back(&run->params);
  const std::vector<std::string> names =
      params.empty() ? std::vector<std::string>{} : compare::parameter_names(params, !allParams_->isChecked());
  const std::string metric = metric_->currentText().toStdString();
  const compare::SummaryChoice choice = chartChoice();
  model_->setContent(shown, names, metric, choice.step, choice.best);
  table_->resizeColumnsToContents();

  QStringList labels;
  for (const auto* run : shown) labels << QString::fromStdString(run->name);
  const auto paramAxis = [&shown](const std::string& name) {
    std::vector<std::optional<compare::ParamValue>> values;
    QStringList texts;
    for (const auto* run : shown) {
      const auto it = run->params.find(name);
      values.push_back(it == run->params.end() ? std::nullopt : std::optional<compare::ParamValue>(it->second));
      texts << (it == run->params.end() ? QString() : QString::fromStdString(it->second.text));
    }
    return PlotAxis{QString::fromStdString(name), compare::AxisScale::of_params(values), texts};
  };
  const auto metricAxis = [&shown, &choice](const std::string& name) {
    std::vector<std::optional<double>> values;
    QStringList texts;
    for (const auto* run : shown) {
      values.push_back(compare::summary_of(*run, name, choice));
      texts << (values.back() ? QString::number(*values.back(), 'g', 6) : QString());
    }
    const QString kind = choice.kind == compare::SummaryKind::Final  ? tr("final")
                         : choice.kind == compare::SummaryKind::Best ? tr("best")
                                                                     : tr("@ step %1").arg(choice.step);
    return PlotAxis{QString::fromStdString(name) + QLatin1Char(' ') + kind, compare::AxisScale::of_numbers(values), texts};
  };

  if (metric.empty()) {
    parallel_->setData({}, {}, {});
  } else {
    std::vector<PlotAxis> axes;
    for (const auto& name : names) axes.push_back(paramAxis(name));
    PlotAxis colour = metricAxis(metric);
    axes.push_back(colour);
    parallel_->setData(std::move(axes), colour.scale, labels);
  }
  const std::string x = scatterX_->currentText().toStdString();
  const std::string y = scatterY_->currentText().toStdString();
  if (x.empty() || y.empty()) {
    scatter_->setData({}, {}, {});
  } else {
    scatter_->setData(paramAxis(x), metricAxis(y), labels);
  }
  overlay_->setEnabled(!shown.empty());
}

}  // namespace orrery::panels
