// The comparison table: one row per compared run; columns Run, Status, the parameters on
// show, then the chosen metric's final, best and at-step-k values. Sorting (by the
// view's header) orders numbers by value and text alphabetically, and keeps runs without
// a value at the bottom in either direction.
#pragma once

#include "compare/compared_run.hpp"

#include <QAbstractTableModel>
#include <QStringList>

#include <optional>
#include <string>
#include <vector>

namespace orrery::panels {

class CompareTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { RunColumn = 0, StatusColumn = 1, FirstParamColumn = 2 };
  // Qt::UserRole: the cell's value for sorting and tests (double, QString, or invalid when missing).
  static constexpr int ValueRole = Qt::UserRole;
  static constexpr int RunIdRole = Qt::UserRole + 1;

  using QAbstractTableModel::QAbstractTableModel;

  // runs: those on show (the panel owns them and keeps them alive until the next setRuns).
  void setContent(std::vector<const compare::ComparedRun*> runs, std::vector<std::string> params, std::string metric,
                  std::int64_t step, compare::BestRule best);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  void sort(int column, Qt::SortOrder order) override;

  int finalColumn() const { return FirstParamColumn + static_cast<int>(params_.size()); }
  int bestColumn() const { return finalColumn() + 1; }
  int atStepColumn() const { return finalColumn() + 2; }
  // The column of a parameter, -1 when not on show.
  int paramColumn(const std::string& name) const;
  const compare::ComparedRun& runAt(int row) const { return *runs_[static_cast<std::size_t>(row)]; }

 private:
  QVariant value(const compare::ComparedRun& run, int column) const;

  std::vector<const compare::ComparedRun*> runs_;   // in display order
  std::vector<std::string> params_;
  std::string metric_;
  std::int64_t step_ = 0;
  compare::BestRule best_ = compare::BestRule::ByName;
  int sort_column_ = -1;
  Qt::SortOrder sort_order_ = Qt::AscendingOrder;
};

}  // namespace orrery::panels
