#include "compare/compare_table_model.hpp"

#include <QBrush>
#include <QColor>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace orrery::panels {

void CompareTableModel::setContent(std::vector<const compare::ComparedRun*> runs, std::vector<std::string> params,
                                   std::string metric, std::int64_t step, compare::BestRule best) {
  beginResetModel();
  runs_ = std::move(runs);
  params_ = std::move(params);
  metric_ = std::move(metric);
  step_ = step;
  best_ = best;
  endResetModel();
  // New content keeps the order the user chose, if its column still exists.
  if (sort_column_ >= 0 && sort_column_ < columnCount()) sort(sort_column_, sort_order_);
}

int CompareTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int CompareTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : atStepColumn() + 1;
}

int CompareTableModel::paramColumn(const std::string& name) const {
  const auto it = std::find(params_.begin(), params_.end(), name);
  return it == params_.end() ? -1 : FirstParamColumn + static_cast<int>(it - params_.begin());
}

QVariant CompareTableModel::value(const compare::ComparedRun& run, int column) const {
  if (column == RunColumn) return QString::fromStdString(run.name);
  if (column == StatusColumn) return QString::fromStdString(run.loaded() ? run.status : run.error);
  if (column < finalColumn()) {
    const auto it = run.params.find(params_[static_cast<std::size_t>(column - FirstParamColumn)]);
    if (it == run.params.end()) return {};
    if (it->second.number) return *it->second.number;
    return QString::fromStdString(it->second.text);
  }
  compare::SummaryChoice choice;
  choice.kind = column == finalColumn() ? compare::SummaryKind::Final
                : column == bestColumn() ? compare::SummaryKind::Best
                                         : compare::SummaryKind::AtStep;
  choice.step = step_;
  choice.best = best_;
  const auto v = compare::summary_of(run, metric_, choice);
  return v ? QVariant(*v) : QVariant();
}

QVariant CompareTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& run = *runs_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case ValueRole:
      return value(run, index.column());
    case RunIdRole:
      return QString::fromStdString(run.id);
    case Qt::DisplayRole: {
      const QVariant v = value(run, index.column());
      if (v.typeId() == QMetaType::Double) return QString::number(v.toDouble(), 'g', 6);
      return v.isValid() ? v : QVariant(QStringLiteral("—"));
    }
    case Qt::ToolTipRole:
      if (index.column() == RunColumn) return QString::fromStdString(run.id);
      if (index.column() == StatusColumn && !run.loaded()) return QString::fromStdString(run.error);
      return {};
    case Qt::ForegroundRole:
      if (index.column() == StatusColumn && !run.loaded()) return QBrush(QColor(190, 30, 30));
      return {};
    case Qt::TextAlignmentRole:
      return value(run, index.column()).typeId() == QMetaType::Double ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                                      : QVariant();
    default:
      return {};
  }
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  if (section == RunColumn) return tr("Run");
  if (section == StatusColumn) return tr("Status");
  if (section < finalColumn()) return QString::fromStdString(params_[static_cast<std::size_t>(section - FirstParamColumn)]);
  const QString metric = QString::fromStdString(metric_);
  if (section == finalColumn()) return tr("%1 final").arg(metric);
  if (section == bestColumn()) {
    return tr("%1 best (%2)").arg(metric, compare::lower_is_better(metric_, best_) ? tr("min") : tr("max"));
  }
  return tr("%1 @ step %2").arg(metric).arg(step_);
}

void CompareTableModel::sort(int column, Qt::SortOrder order) {
  if (column < 0 || column >= columnCount()) return;
  sort_column_ = column;
  sort_order_ = order;
  // Key: (missing, text, number). Missing (and NaN) last in both orders; numbers before text.
  struct Key {
    int cls = 2;   // 0 number, 1 text, 2 missing
    double number = 0;
    QString text;
  };
  std::vector<Key> keys;
  keys.reserve(runs_.size());
  for (const auto* run : runs_) {
    Key k;
    const QVariant v = value(*run, column);
    if (v.typeId() == QMetaType::Double && !std::isnan(v.toDouble())) {
      k.cls = 0;
      k.number = v.toDouble();
    } else if (v.typeId() == QMetaType::QString) {
      k.cls = 1;
      k.text = v.toString();
    }
    keys.push_back(std::move(k));
  }
  const bool ascending = order == Qt::AscendingOrder;
  std::vector<std::size_t> order_of(runs_.size());   // new row -> old row
  std::iota(order_of.begin(), order_of.end(), std::size_t{0});
  std::stable_sort(order_of.begin(), order_of.end(), [&keys, ascending](std::size_t a, std::size_t b) {
    const Key& x = keys[a];
    const Key& y = keys[b];
    if (x.cls == 2 || y.cls == 2) return x.cls != 2 && y.cls == 2;
    if (x.cls != y.cls) return ascending ? x.cls < y.cls : x.cls > y.cls;
    const bool less = x.cls == 0 ? x.number < y.number : QString::localeAwareCompare(x.text, y.text) < 0;
    const bool greater = x.cls == 0 ? y.number < x.number : QString::localeAwareCompare(y.text, x.text) < 0;
    return ascending ? less : greater;
  });
  emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
  std::vector<int> new_row(runs_.size());   // old row -> new row, so the view's selection follows its runs
  for (std::size_t i = 0; i < order_of.size(); ++i) new_row[order_of[i]] = static_cast<int>(i);
  for (const QModelIndex& index : persistentIndexList())
    changePersistentIndex(index, this->index(new_row[static_cast<std::size_t>(index.row())], index.column()));
  std::vector<const compare::ComparedRun*> sorted;
  sorted.reserve(runs_.size());
  for (std::size_t old_row : order_of) sorted.push_back(runs_[old_row]);
  runs_ = std::move(sorted);
  emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

}  // namespace orrery::panels
