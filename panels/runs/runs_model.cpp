#include "runs/runs_model.hpp"

#include "common/status_style.hpp"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace orrery::panels {

namespace {

double now_seconds() { return static_cast<double>(QDateTime::currentMSecsSinceEpoch()) / 1000.0; }

QString duration_text(double seconds) {
  if (seconds <= 0) return {};
  const auto s = static_cast<qint64>(seconds);
  if (s < 60) return QString("%1 s").arg(s);
  if (s < 3600) return QString("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
  return QString("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QChar('0'));
}

double duration_of(const RunRow& r) {
  if (r.started <= 0) return 0;
  const double end = r.ended > 0 ? r.ended : (runfiles::is_final(r.status) ? r.started : now_seconds());
  return std::max(0.0, end - r.started);
}

QString progress_text(const RunRow& r) {
  if (r.progress_total <= 0) return {};
  return QString("%1 %").arg(std::clamp(100.0 * r.progress_done / r.progress_total, 0.0, 100.0), 0, 'f', 0);
}

// "job 12: PENDING (Resources)"; "job 12" before Slurm was first asked; empty for other runs.
QString slurm_text(const RunRow& r) {
  if (r.slurm_job.empty()) return {};
  return QString::fromStdString("job " + r.slurm_job + (r.slurm_state.empty() ? "" : ": " + r.slurm_state));
}

QString join(const std::vector<std::string>& items) {
  QStringList out;
  for (const auto& s : items) out << QString::fromStdString(s);
  return out.join(", ");
}

// Sets a role only when it differs, so an unchanged refresh emits nothing.
void set(QStandardItem* item, const QVariant& value, int role) {
  if (item->data(role) != value) item->setData(value, role);
}

}  // namespace

RunsModel::RunsModel(QObject* parent) : QStandardItemModel(0, ColumnCount, parent) {
  setHorizontalHeaderLabels({tr("Name"), tr("Id"), tr("Kind"), tr("Status"), tr("Slurm"), tr("Ranks"), tr("Progress"), tr("Start"),
                             tr("Duration"), tr("Tags"), tr("Notes")});
  setSortRole(SortRole);
}

QString RunsModel::label(const RunRow& row) {
  const auto tail = row.id.size() > 4 ? row.id.substr(row.id.size() - 4) : row.id;
  return QString::fromStdString(row.name + " (" + tail + ")");
}

void RunsModel::apply(const std::vector<RunRow>& rows, bool full) {
  if (full) {
    std::vector<std::string> gone;
    for (const auto& [id, entry] : runs_) {
      if (std::none_of(rows.begin(), rows.end(), [&](const RunRow& r) { return r.id == id; })) gone.push_back(id);
    }
    for (const auto& id : gone) remove(id);
  }
  for (const auto& row : rows) {
    auto it = runs_.find(row.id);
    if (it == runs_.end()) {
      insert(row);
    } else if (it->second.row.experiment != row.experiment) {   // re-tagged into another experiment
      remove(row.id);
      insert(row);
    } else {
      update_cells(it->second, row);
    }
  }
}

void RunsModel::tick() {
  for (auto& [id, entry] : runs_) {
    if (runfiles::is_final(entry.row.status) || entry.row.started <= 0) continue;
    auto* parent = entry.name->parent();
    auto* cell = parent->child(entry.name->row(), Duration);
    const double d = duration_of(entry.row);
    set(cell, duration_text(d), Qt::DisplayRole);
    set(cell, d, SortRole);
  }
}

const RunRow* RunsModel::row(const std::string& run_id) const {
  auto it = runs_.find(run_id);
  return it == runs_.end() ? nullptr : &it->second.row;
}

std::vector<std::string> RunsModel::live_run_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, entry] : runs_)
    if (!runfiles::is_final(entry.row.status)) ids.push_back(id);
  return ids;
}

std::vector<std::string> RunsModel::unsettled_slurm_run_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, entry] : runs_)
    if (!entry.row.slurm_job.empty() && (!entry.row.slurm_ended || !runfiles::is_final(entry.row.status))) ids.push_back(id);
  return ids;
}

QStringList RunsModel::run_ids(const QModelIndex& index) const {
  const QModelIndex first = index.sibling(index.row(), 0);
  if (auto id = first.data(RunIdRole); id.isValid()) return {id.toString()};
  QStringList ids;
  for (int r = 0; r < rowCount(first); ++r) ids << this->index(r, 0, first).data(RunIdRole).toString();
  return ids;
}

QStandardItem* RunsModel::experiment_item(const std::string& experiment) {
  if (auto it = experiments_.find(experiment); it != experiments_.end()) return it->second;
  QList<QStandardItem*> cells;
  for (int c = 0; c < ColumnCount; ++c) {
    auto* cell = new QStandardItem;
    cell->setEditable(false);
    cells << cell;
  }
  cells[Name]->setText(QString::fromStdString(experiment));
  cells[Name]->setData(QString::fromStdString(experiment), SortRole);
  appendRow(cells);
  experiments_[experiment] = cells[Name];
  return cells[Name];
}

void RunsModel::insert(const RunRow& row) {
  QList<QStandardItem*> cells;
  for (int c = 0; c < ColumnCount; ++c) {
    auto* cell = new QStandardItem;
    cell->setEditable(false);
    cell->setData(QString::fromStdString(row.id), RunIdRole);
    cells << cell;
  }
  experiment_item(row.experiment)->appendRow(cells);
  Entry entry{RunRow{}, cells[Name]};
  entry.row.id = row.id;
  auto& stored = runs_[row.id] = entry;
  update_cells(stored, row);
}

void RunsModel::update_cells(Entry& entry, const RunRow& row) {
  auto* parent = entry.name->parent();
  const int r = entry.name->row();
  auto cell = [&](Column c) { return parent->child(r, c); };
  const auto start = row.started > 0 ? row.started : row.created;
  set(cell(Name), QString::fromStdString(row.name), Qt::DisplayRole);
  set(cell(Name), QString::fromStdString(row.name), SortRole);
  set(cell(Id), QString::fromStdString(row.id), Qt::DisplayRole);
  set(cell(Id), QString::fromStdString(row.id), SortRole);
  set(cell(Kind), QString::fromStdString(row.kind), Qt::DisplayRole);
  set(cell(Kind), QString::fromStdString(row.kind), SortRole);
  set(cell(Status), status_text(row.status), Qt::DisplayRole);
  set(cell(Status), QString::fromStdString(runfiles::to_string(row.status)), StatusRole);
  set(cell(Status), QString::fromStdString(runfiles::to_string(row.status)), SortRole);
  set(cell(Status), QVariant::fromValue(status_color(row.status)), Qt::ForegroundRole);
  if (entry.row.status != row.status || cell(Status)->icon().isNull()) cell(Status)->setIcon(status_icon(row.status));
  set(cell(Status), row.reason.empty() ? QVariant() : QVariant(QString::fromStdString(row.reason)), Qt::ToolTipRole);
  set(cell(Slurm), slurm_text(row), Qt::DisplayRole);
  set(cell(Slurm), slurm_text(row), SortRole);
  set(cell(Slurm), row.slurm_target.empty() ? QVariant() : QVariant(QString::fromStdString("Slurm target " + row.slurm_target)),
      Qt::ToolTipRole);
  set(cell(Ranks), row.ranks, Qt::DisplayRole);
  set(cell(Ranks), row.ranks, SortRole);
  set(cell(Progress), progress_text(row), Qt::DisplayRole);
  set(cell(Progress), row.progress_total > 0 ? row.progress_done / row.progress_total : 0.0, SortRole);
  set(cell(Start), start > 0 ? QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(start * 1000)).toString("yyyy-MM-dd HH:mm:ss") : QString(),
      Qt::DisplayRole);
  set(cell(Start), start, SortRole);
  set(cell(Duration), duration_text(duration_of(row)), Qt::DisplayRole);
  set(cell(Duration), duration_of(row), SortRole);
  set(cell(Tags), join(row.tags), Qt::DisplayRole);
  set(cell(Tags), join(row.tags), SortRole);
  set(cell(Notes), QString::fromStdString(row.notes).section('\n', 0, 0), Qt::DisplayRole);
  set(cell(Notes), QString::fromStdString(row.notes), Qt::ToolTipRole);
  set(cell(Notes), QString::fromStdString(row.notes), SortRole);
  entry.row = row;
}

void RunsModel::remove(const std::string& run_id) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  QStandardItem* experiment = it->second.name->parent();
  const std::string experiment_name = it->second.row.experiment;
  experiment->removeRow(it->second.name->row());
  runs_.erase(it);
  if (experiment->rowCount() == 0) {
    removeRow(experiment->row());
    experiments_.erase(experiment_name);
  }
}

}  // namespace orrery::panels
