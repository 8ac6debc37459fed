// CheckpointBrowser: the panel's layout, opening a file or a run's checkpoints, and the
// statistics scan that fills the tree (views of the selected tensor: checkpoint_views.cpp;
// diff and export: checkpoint_diff.cpp).
#include "checkpoints/checkpoint_browser.hpp"

#include "checkpoints/heatmap_view.hpp"
#include "checkpoints/inspect_task.hpp"
#include "checkpoints/tensor_table_model.hpp"

#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <filesystem>

namespace orrery::panels {

namespace {

enum Column { kName, kShape, kDtype, kSize, kMin, kMax, kMean, kStd, kNorm, kZeros, kNanInf, kColumns };

QString shape_text(const h5inspect::TensorInfo& t) {
  QStringList dims;
  for (auto d : t.shape) dims << QString::number(d);
  return t.shape.empty() ? QStringLiteral("scalar") : dims.join(QStringLiteral(" × "));
}

QString num(double v) { return std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'g', 6); }

// A run's checkpoints, oldest first (step-NNNNNNN.h5 names sort by step).
QStringList list_checkpoints(const std::filesystem::path& dir) {
  QStringList out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto& p = entry.path();
    if (p.extension() == ".h5" && entry.is_regular_file(ec)) out << QString::fromStdString(p.string());
  }
  if (ec && out.isEmpty() && std::filesystem::exists(dir))
    throw h5inspect::RunFileError("cannot list '" + dir.string() + "': " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

CheckpointBrowser::CheckpointBrowser(const runfiles::Project& project, QWidget* parent)
    : QWidget(parent), project_(project) {
  open_task_ = new InspectTask(this);
  detail_task_ = new InspectTask(this);
  histogram_task_ = new InspectTask(this);
  diff_task_ = new InspectTask(this);
  export_task_ = new InspectTask(this);
  list_task_ = new InspectTask(this);
  build_ui();
  track(open_task_, tr("statistics"));
  track(diff_task_, tr("diff"));
  track(export_task_, tr("export"));
  // Each task's finished signal belongs to its latest start (a restart drops the earlier run silently).
  connect(open_task_, &InspectTask::finished, this, [this](bool ok, const QString& why) {
    if (!ok && !file_) {
      show_message(tr("Cannot open %1: %2").arg(file_path_, why), true);
      emit openFailed(why);
    } else if (!ok) {
      const bool cancelled = why == QStringLiteral("cancelled");
      show_message(cancelled ? tr("Statistics cancelled") : tr("Statistics stopped: %1").arg(why), !cancelled);
    } else {
      show_message(tr("%1: %n tensor(s)", nullptr, static_cast<int>(file_->tensors().size())).arg(file_path_));
    }
    emit scanFinished(ok);
  });
  connect(diff_task_, &InspectTask::finished, this, [this](bool ok, const QString& why) {
    if (!ok) show_message(tr("Diff failed: %1").arg(why), why != QStringLiteral("cancelled"));
    emit diffFinished(ok);
  });
  connect(export_task_, &InspectTask::finished, this, [this](bool ok, const QString& why) {
    const QString text = ok ? tr("Exported %1").arg(export_label_) : tr("Export failed: %1").arg(why);
    show_message(text, !ok);
    emit exportFinished(ok, text);
  });
}

CheckpointBrowser::~CheckpointBrowser() = default;

void CheckpointBrowser::build_ui() {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  checkpoints_ = new QComboBox;
  checkpoints_->setToolTip(tr("The run's checkpoints"));
  checkpoints_->setVisible(false);
  open_button_ = new QPushButton(tr("Open file…"));
  compare_button_ = new QPushButton(tr("Compare with…"));
  export_button_ = new QPushButton(tr("Export tensor…"));
  resume_ranks_ = new QSpinBox;
  resume_ranks_->setRange(1, 4096);
  resume_ranks_->setPrefix(tr("ranks: "));
  resume_button_ = new QPushButton(tr("Resume from this checkpoint"));
  resume_button_->setEnabled(false);
  for (QWidget* w : std::initializer_list<QWidget*>{checkpoints_, open_button_, compare_button_, export_button_,
                                                    resume_ranks_, resume_button_})
    bar->addWidget(w);
  bar->addStretch(1);
  layout->addLayout(bar);

  auto* status = new QHBoxLayout;
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setVisible(false);
  cancel_button_ = new QPushButton(tr("Cancel"));
  cancel_button_->setVisible(false);
  message_ = new QLabel;
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  status->addWidget(progress_);
  status->addWidget(cancel_button_);
  status->addWidget(message_, 1);
  layout->addLayout(status);

  auto* split = new QSplitter(Qt::Horizontal);
  tree_ = new QTreeWidget;
  tree_->setColumnCount(kColumns);
  tree_->setHeaderLabels({tr("Tensor"), tr("Shape"), tr("Dtype"), tr("Size"), tr("Min"), tr("Max"), tr("Mean"),
                          tr("Std"), tr("Norm"), tr("Zeros"), tr("NaN/Inf")});
  tree_->setUniformRowHeights(true);
  tree_->setSortingEnabled(false);
  split->addWidget(tree_);

  tabs_ = new QTabWidget;
  chart_ = new QChartView;
  chart_->setRenderHint(QPainter::Antialiasing);
  tabs_->addTab(chart_, tr("Histogram"));

  auto* slice_page = new QWidget;
  auto* slice_layout = new QVBoxLayout(slice_page);
  slice_row_ = new QHBoxLayout;
  row_dim_ = new QComboBox;
  col_dim_ = new QComboBox;
  slice_row_->addWidget(new QLabel(tr("rows")));
  slice_row_->addWidget(row_dim_);
  slice_row_->addWidget(new QLabel(tr("columns")));
  slice_row_->addWidget(col_dim_);
  slice_row_->addStretch(1);
  slice_layout->addLayout(slice_row_);
  auto* views = new QTabWidget;
  heatmap_ = new HeatmapView;
  table_view_ = new QTableView;
  views->addTab(heatmap_, tr("Heatmap"));
  views->addTab(table_view_, tr("Table"));
  slice_layout->addWidget(views, 1);
  tabs_->addTab(slice_page, tr("Values"));

  diff_table_ = new QTableWidget(0, 6);
  diff_table_->setHorizontalHeaderLabels(
      {tr("Tensor"), tr("Relative change"), tr("‖B − A‖"), tr("Max |B − A|"), tr("‖A‖"), tr("‖B‖")});
  diff_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  diff_table_->horizontalHeader()->setStretchLastSection(true);
  tabs_->addTab(diff_table_, tr("Diff"));
  split->addWidget(tabs_);
  split->setStretchFactor(1, 1);
  layout->addWidget(split, 1);

  connect(checkpoints_, &QComboBox::activated, this, [this](int i) { openFile(checkpoints_->itemData(i).toString()); });
  connect(open_button_, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Open an HDF5 file"), file_path_,
                                                   tr("HDF5 (*.h5 *.hdf5 *.he5);;All files (*)"));
    if (!f.isEmpty()) openFile(f);
  });
  connect(compare_button_, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Compare with"), file_path_,
                                                   tr("HDF5 (*.h5 *.hdf5 *.he5);;All files (*)"));
    if (!f.isEmpty()) compareWith(f);
  });
  connect(export_button_, &QPushButton::clicked, this, [this] {
    if (selected_.isEmpty()) return;
    const QString f = QFileDialog::getSaveFileName(this, tr("Export tensor"), QString(),
                                                   tr("NumPy (*.npy);;CSV (*.csv)"));
    if (!f.isEmpty()) exportTensor(selected_, f);
  });
  connect(resume_button_, &QPushButton::clicked, this, &CheckpointBrowser::requestResume);
  connect(cancel_button_, &QPushButton::clicked, this, &CheckpointBrowser::cancel);
  connect(tree_, &QTreeWidget::itemSelectionChanged, this, &CheckpointBrowser::on_selection);
  connect(row_dim_, &QComboBox::activated, this, &CheckpointBrowser::apply_slice_from_controls);
  connect(col_dim_, &QComboBox::activated, this, &CheckpointBrowser::apply_slice_from_controls);
}

// The progress bar follows whichever long task reported last; hidden when none runs.
void CheckpointBrowser::track(InspectTask* task, const QString& what) {
  connect(task, &InspectTask::progress, this, [this, what](qint64 done, qint64 total) {
    progress_->setVisible(true);
    cancel_button_->setVisible(true);
    progress_->setFormat(what + QStringLiteral(" %p%"));
    progress_->setValue(total > 0 ? static_cast<int>(1000.0 * static_cast<double>(done) / static_cast<double>(total)) : 0);
  });
  connect(task, &InspectTask::finished, this, [this] {
    if (!open_task_->busy() && !diff_task_->busy() && !export_task_->busy()) {
      progress_->setVisible(false);
      cancel_button_->setVisible(false);
    }
  });
}

QString CheckpointBrowser::message() const { return message_->text(); }

void CheckpointBrowser::show_message(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

int CheckpointBrowser::resumeRanks() const { return resume_ranks_->value(); }
void CheckpointBrowser::setResumeRanks(int ranks) { resume_ranks_->setValue(ranks); }

void CheckpointBrowser::requestResume() {
  if (run_id_.isEmpty() || file_path_.isEmpty()) return;
  emit resumeRequested(run_id_, file_path_, resume_ranks_->value());
}

void CheckpointBrowser::cancel() {
  open_task_->cancel();
  diff_task_->cancel();
  export_task_->cancel();
  detail_task_->cancel();
  histogram_task_->cancel();
}

std::optional<h5inspect::TensorStats> CheckpointBrowser::statsOf(const QString& tensor) const {
  auto it = stats_.find(tensor);
  if (it == stats_.end()) return std::nullopt;
  return it->second;
}

void CheckpointBrowser::openRun(const QString& runId) {
  std::filesystem::path dir;
  try {
    dir = runfiles::run_path(project_, runId.toStdString()) / "checkpoints";
  } catch (const std::exception& e) {
    show_message(tr("Run %1: %2").arg(runId, QString::fromStdString(e.what())), true);
    return;
  }
  list_task_->start([this, dir, runId](InspectTask::Channel& ch) {
    QStringList files = list_checkpoints(dir);
    ch.deliver([this, runId, files] {
      run_id_ = runId;
      run_checkpoints_ = files;
      checkpoints_->clear();
      for (const QString& f : files) checkpoints_->addItem(QFileInfo(f).fileName(), f);
      checkpoints_->setVisible(!files.isEmpty());
      emit runCheckpointsListed(runId, files);
      if (files.isEmpty()) {
        show_message(tr("Run %1 has no checkpoints yet").arg(runId));
        return;
      }
      checkpoints_->setCurrentIndex(static_cast<int>(files.size()) - 1);
      openFile(files.back());
    });
  });
}

void CheckpointBrowser::openFile(const QString& path) {
  // The previous file's scan is dropped by the restart below; its other readers stop here.
  detail_task_->cancel();
  histogram_task_->cancel();
  diff_task_->cancel();
  // A file outside the run's checkpoints folder is not something to resume that run from.
  if (!run_checkpoints_.contains(path)) run_id_.clear();
  file_path_ = path;
  file_.reset();
  stats_.clear();
  items_.clear();
  tree_->clear();
  selected_.clear();
  diffs_.clear();
  diff_table_->setRowCount(0);
  resume_button_->setEnabled(false);
  show_message(tr("Opening %1…").arg(path));
  open_task_->start([this, path](InspectTask::Channel& ch) {
    auto file = std::make_shared<const h5inspect::TensorFile>(std::filesystem::path(path.toStdString()));
    std::uint64_t total = 0;
    for (const auto& t : file->tensors())
      if (t.numeric()) total += t.elements();
    ch.setTotal(total);
    ch.deliver([this, file] { on_opened(file); });
    for (const auto& t : file->tensors()) {
      if (!t.numeric()) continue;
      h5inspect::TensorStats s = h5inspect::tensor_stats(*file, t, ch.progress(), ch.cancel());
      ch.deliver([this, p = QString::fromStdString(t.path), s] { show_stats(p, s); });
    }
  });
}

void CheckpointBrowser::on_opened(std::shared_ptr<const h5inspect::TensorFile> file) {
  file_ = std::move(file);
  fill_tree();
  resume_button_->setEnabled(!run_id_.isEmpty());
  show_message(tr("%1: computing statistics…").arg(file_path_));
  emit fileOpened(file_path_, static_cast<int>(file_->tensors().size()));
}

void CheckpointBrowser::fill_tree() {
  QHash<QString, QTreeWidgetItem*> groups;
  const QLocale locale;
  for (const auto& t : file_->tensors()) {
    const QString path = QString::fromStdString(t.path);
    const QStringList parts = path.split('/', Qt::SkipEmptyParts);
    QTreeWidgetItem* parent = nullptr;
    QString prefix;
    for (int i = 0; i + 1 < parts.size(); ++i) {
      prefix += '/' + parts[i];
      QTreeWidgetItem*& g = groups[prefix];
      if (!g) {
        g = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(tree_);
        g->setText(kName, parts[i]);
        g->setExpanded(true);
      }
      parent = g;
    }
    auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(tree_);
    item->setText(kName, parts.isEmpty() ? path : parts.back());
    item->setData(kName, Qt::UserRole, path);
    item->setToolTip(kName, path);
    item->setText(kShape, shape_text(t));
    item->setText(kDtype, QString::fromStdString(t.dtype));
    item->setText(kSize, locale.formattedDataSize(static_cast<qint64>(t.bytes())));
    items_.insert(path, item);
  }
  for (int c = 0; c < kColumns; ++c) tree_->resizeColumnToContents(c);
}

void CheckpointBrowser::show_stats(const QString& path, const h5inspect::TensorStats& s) {
  stats_[path] = s;
  QTreeWidgetItem* item = items_.value(path);
  if (!item) return;
  item->setText(kMin, num(s.min));
  item->setText(kMax, num(s.max));
  item->setText(kMean, num(s.mean));
  item->setText(kStd, num(s.std));
  item->setText(kNorm, num(s.norm));
  item->setText(kZeros, QString::number(100.0 * s.zero_fraction(), 'f', 2) + '%');
  item->setText(kNanInf, QStringLiteral("%1 / %2").arg(s.nans).arg(s.infs));
  if (s.nans + s.infs > 0) item->setForeground(kNanInf, QColor(0xb0, 0x00, 0x20));
  if (path == selected_ && histogram_.counts.empty()) {
    if (const auto* t = selected_info()) load_histogram(*t);
  }
}

const h5inspect::TensorInfo* CheckpointBrowser::selected_info() const {
  if (!file_ || selected_.isEmpty()) return nullptr;
  try {
    return &file_->tensor(selected_.toStdString());
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace orrery::panels
