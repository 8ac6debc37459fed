// CheckpointBrowser: the diff of the open checkpoint (A) with another (B), per tensor,
// largest relative change first; and the export of one tensor as .npy or CSV.
#include "checkpoints/checkpoint_browser.hpp"

#include "checkpoints/inspect_task.hpp"
#include "h5inspect/tensor_export.hpp"

#include <QFileInfo>
#include <QTabWidget>
#include <QTableWidget>

#include <cmath>

namespace orrery::panels {

namespace {

QString kind_text(h5inspect::TensorDiff::Kind k) {
  using K = h5inspect::TensorDiff::Kind;
  switch (k) {
    case K::Compared: return {};
    case K::ShapeDiffers: return QObject::tr("shapes differ");
    case K::OnlyInA: return QObject::tr("only in A");
    case K::OnlyInB: return QObject::tr("only in B");
    case K::NotNumeric: return QObject::tr("not numeric");
  }
  return {};
}

QTableWidgetItem* number_item(double v) {
  auto* item = new QTableWidgetItem(std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'g', 6));
  item->setData(Qt::UserRole, v);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

}  // namespace

void CheckpointBrowser::compareWith(const QString& otherPath) {
  if (file_path_.isEmpty()) {
    show_message(tr("Open a checkpoint first, then compare it with another"), true);
    return;
  }
  diffs_.clear();
  diff_table_->setRowCount(0);
  show_message(tr("Comparing %1 with %2…").arg(QFileInfo(file_path_).fileName(), otherPath));
  diff_task_->start([this, a_path = file_path_, b_path = otherPath](InspectTask::Channel& ch) {
    h5inspect::TensorFile a(a_path.toStdString()), b(b_path.toStdString());
    ch.setTotal(h5inspect::diff_elements(a, b));
    auto diffs = h5inspect::diff_files(a, b, ch.progress(), ch.cancel());
    ch.deliver([this, diffs = std::move(diffs), a_path, b_path] {
      if (a_path != file_path_) return;
      diffs_ = diffs;
      show_diffs();
      show_message(tr("A = %1, B = %2: %n tensor(s)", nullptr, static_cast<int>(diffs_.size()))
                       .arg(QFileInfo(a_path).fileName(), b_path));
    });
  });
}

void CheckpointBrowser::show_diffs() {
  diff_table_->setSortingEnabled(false);
  diff_table_->setRowCount(static_cast<int>(diffs_.size()));
  for (int r = 0; r < static_cast<int>(diffs_.size()); ++r) {
    const auto& d = diffs_[static_cast<std::size_t>(r)];
    diff_table_->setItem(r, 0, new QTableWidgetItem(QString::fromStdString(d.path)));
    const bool compared = d.kind == h5inspect::TensorDiff::Kind::Compared;
    QTableWidgetItem* rel = number_item(d.relative_change);
    if (!compared) rel->setText(kind_text(d.kind));
    diff_table_->setItem(r, 1, rel);
    const double nan = std::nan("");
    diff_table_->setItem(r, 2, number_item(compared ? d.diff_norm : nan));
    diff_table_->setItem(r, 3, number_item(compared ? d.max_abs_diff : nan));
    diff_table_->setItem(r, 4, number_item(compared ? d.norm_a : nan));
    diff_table_->setItem(r, 5, number_item(compared ? d.norm_b : nan));
  }
  diff_table_->resizeColumnsToContents();
  tabs_->setCurrentWidget(diff_table_);
}

void CheckpointBrowser::exportTensor(const QString& tensorPath, const QString& outFile) {
  if (!file_) {
    emit exportFinished(false, tr("no file is open"));
    return;
  }
  const bool csv = outFile.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive);
  export_label_ = tr("%1 to %2").arg(tensorPath, outFile);
  show_message(tr("Exporting %1…").arg(export_label_));
  export_task_->start([file = file_, tensorPath, outFile, csv](InspectTask::Channel& ch) {
    const auto& t = file->tensor(tensorPath.toStdString());
    ch.setTotal(t.elements());
    const std::filesystem::path out(outFile.toStdString());
    if (csv) h5inspect::export_csv(*file, t, out, ch.progress(), ch.cancel());
    else h5inspect::export_npy(*file, t, out, ch.progress(), ch.cancel());
  });
}

}  // namespace orrery::panels
