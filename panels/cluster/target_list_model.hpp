// The project's targets as a table: name, type, where, and the state the last check left
// (not checked, checking, reachable, failed, unknown host key, cancelled). It reads the
// checker's results; the checker's signals tell it when a row changed.
#pragma once

#include <QAbstractTableModel>

namespace orrery::panels {

class TargetChecker;

class TargetListModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Name, Type, Where, State, ColumnCount };

  explicit TargetListModel(const TargetChecker& checker, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  QString targetAt(int row) const;
  int rowOf(const QString& target) const;
  QString stateText(const QString& target) const;

 private:
  void targetChanged(const QString& target);
  const TargetChecker& checker_;
};

}  // namespace orrery::panels
