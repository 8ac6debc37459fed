// The runs browser's model: experiments at the top level, their runs below, one
// column per field. Updated in place from RunRow snapshots (only changed cells
// emit dataChanged, so selection and expansion survive every refresh).
#pragma once

#include "runs/run_scan.hpp"

#include <QStandardItemModel>

#include <map>
#include <string>
#include <vector>

namespace orrery::panels {

class RunsModel : public QStandardItemModel {
  Q_OBJECT

 public:
  enum Column { Name, Id, Kind, Status, Slurm, Ranks, Progress, Start, Duration, Tags, Notes, ColumnCount };
  enum Role {
    RunIdRole = Qt::UserRole + 1,   // on every cell of a run row; absent on experiment rows
    StatusRole,                     // runfiles::to_string(status), on the Status cell
    SortRole,                       // numbers and times sort as numbers
  };

  explicit RunsModel(QObject* parent = nullptr);

  // Brings the model up to these rows. full: rows is every run (others leave the model);
  // otherwise only the rows given are updated.
  void apply(const std::vector<RunRow>& rows, bool full);
  // Re-computes the Duration of live runs (called every second by the panel).
  void tick();

  const RunRow* row(const std::string& run_id) const;
  std::vector<std::string> live_run_ids() const;
  // Runs submitted to Slurm whose job has not ended or whose run has no verdict yet: Slurm is asked about them.
  std::vector<std::string> unsettled_slurm_run_ids() const;
  // The run ids under an index (a run row: itself; an experiment row: its runs).
  QStringList run_ids(const QModelIndex& index) const;
  // "name (id tail)": how a run is named in legends.
  static QString label(const RunRow& row);

 private:
  struct Entry {
    RunRow row;
    QStandardItem* name = nullptr;   // column 0 of the run's row
  };
  QStandardItem* experiment_item(const std::string& experiment);
  void insert(const RunRow& row);
  void update_cells(Entry& entry, const RunRow& row);
  void remove(const std::string& run_id);

  std::map<std::string, Entry> runs_;
  std::map<std::string, QStandardItem*> experiments_;
};

}  // namespace orrery::panels
