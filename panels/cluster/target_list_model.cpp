#include "cluster/target_list_model.hpp"

#include "cluster/target_checker.hpp"

#include <QColor>

namespace orrery::panels {

TargetListModel::TargetListModel(const TargetChecker& checker, QObject* parent) : QAbstractTableModel(parent), checker_(checker) {
  connect(&checker, &TargetChecker::started, this, &TargetListModel::targetChanged);
  connect(&checker, &TargetChecker::finished, this, &TargetListModel::targetChanged);
  connect(&checker, &TargetChecker::targetsAboutToChange, this, &TargetListModel::beginResetModel);
  connect(&checker, &TargetChecker::targetsChanged, this, &TargetListModel::endResetModel);
}

int TargetListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(checker_.targets().size());
}

int TargetListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString TargetListModel::targetAt(int row) const {
  const auto& targets = checker_.targets();
  return row >= 0 && row < static_cast<int>(targets.size()) ? QString::fromStdString(targets[row].name) : QString();
}

int TargetListModel::rowOf(const QString& target) const {
  const auto& targets = checker_.targets();
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (QString::fromStdString(targets[i].name) == target) return static_cast<int>(i);
  return -1;
}

QString TargetListModel::stateText(const QString& target) const {
  if (checker_.running(target)) return tr("checking…");
  const auto* check = checker_.lastCheck(target);
  if (!check) return tr("not checked");
  switch (check->outcome) {
    case remote::TargetCheck::Outcome::Passed: return tr("reachable");
    case remote::TargetCheck::Outcome::Failed: return check->connected ? tr("reachable, checks failed") : tr("unreachable");
    case remote::TargetCheck::Outcome::UnknownHostKey: return tr("unknown host key");
    case remote::TargetCheck::Outcome::Cancelled: return tr("cancelled");
  }
  return {};
}

QVariant TargetListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& t = checker_.targets()[static_cast<std::size_t>(index.row())];
  const QString name = QString::fromStdString(t.name);
  const auto* check = checker_.lastCheck(name);
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Name: return name;
      case Type: return QString::fromStdString(remote::to_string(t.type));
      case Where: return QString::fromStdString(remote::describe_location(t));
      case State: return stateText(name);
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole && index.column() == State && check) return QString::fromStdString(check->connection);
  if (role == Qt::ForegroundRole && index.column() == State && check && !checker_.running(name)) {
    if (check->passed()) return QColor(0x2e, 0x7d, 0x32);
    if (check->outcome != remote::TargetCheck::Outcome::Cancelled) return QColor(0xc6, 0x28, 0x28);
  }
  return {};
}

QVariant TargetListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Name: return tr("Target");
    case Type: return tr("Type");
    case Where: return tr("Where");
    case State: return tr("State");
    default: return {};
  }
}

void TargetListModel::targetChanged(const QString& target) {
  int row = rowOf(target);
  if (row >= 0) emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

}  // namespace orrery::panels
