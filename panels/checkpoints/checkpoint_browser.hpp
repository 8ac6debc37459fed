// The checkpoint browser: a run's checkpoints (runs/<id>/checkpoints/*.h5) or any HDF5
// file as a tree of tensors with shape, dtype, size and statistics (min, max, mean, std,
// norm, zero fraction, NaN/Inf), a histogram of the selected tensor, a 2-D slice of it
// as a heatmap and as a lazily loading table, the diff of two checkpoints, export as
// .npy/CSV, and "resume from this checkpoint with N ranks".
//
// Every read goes through core/h5inspect on a background thread (InspectTask), streamed
// block by block, with progress and cancel; a damaged file is a message in the panel.
#pragma once

#include "h5inspect/tensor_stats.hpp"
#include "runfiles/project.hpp"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <vector>

class QChartView;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTableWidget;
class QTreeWidget;
class QTreeWidgetItem;
class QHBoxLayout;

namespace orrery::panels {

class HeatmapView;
class InspectTask;
class TensorTableModel;

class CheckpointBrowser : public QWidget {
  Q_OBJECT
 public:
  explicit CheckpointBrowser(const runfiles::Project& project, QWidget* parent = nullptr);
  ~CheckpointBrowser() override;

  // What the panel shows (for the workbench and the tests).
  QString currentFile() const { return file_path_; }
  QString currentRun() const { return run_id_; }
  QStringList runCheckpoints() const { return run_checkpoints_; }
  QString message() const;
  QTreeWidget* tree() const { return tree_; }
  std::optional<h5inspect::TensorStats> statsOf(const QString& tensor) const;
  QString selectedTensor() const { return selected_; }
  const h5inspect::Histogram& histogram() const { return histogram_; }
  const std::vector<h5inspect::TensorDiff>& diffs() const { return diffs_; }
  QTableWidget* diffTable() const { return diff_table_; }
  TensorTableModel* tableModel() const { return table_model_; }
  QTableView* tableView() const { return table_view_; }
  HeatmapView* heatmap() const { return heatmap_; }
  QProgressBar* progressBar() const { return progress_; }
  int resumeRanks() const;

 public slots:
  void openFile(const QString& path);
  // Lists the run's checkpoints and opens the newest.
  void openRun(const QString& runId);
  void selectTensor(const QString& tensorPath);
  // The selected tensor's 2-D view: dimensions for rows and columns, others at fixed[d].
  void setSlice(int rowDim, int colDim, const std::vector<quint64>& fixed = {});
  // Diff of the open file (A) and another (B), largest relative change first.
  void compareWith(const QString& otherPath);
  void exportTensor(const QString& tensorPath, const QString& outFile);
  void setResumeRanks(int ranks);
  void requestResume();
  void cancel();

 signals:
  void fileOpened(const QString& path, int tensors);
  void openFailed(const QString& message);
  void runCheckpointsListed(const QString& runId, const QStringList& checkpoints);
  void scanFinished(bool ok);
  void histogramReady(const QString& tensor);
  void heatmapReady(const QString& tensor);
  void diffFinished(bool ok);
  void exportFinished(bool ok, const QString& message);
  // "Resume from this checkpoint with N ranks": the workbench opens the launch form.
  void resumeRequested(const QString& runId, const QString& checkpoint, int ranks);

 private:
  void build_ui();
  void show_message(const QString& text, bool error = false);
  void on_opened(std::shared_ptr<const h5inspect::TensorFile> file);
  void fill_tree();
  void show_stats(const QString& path, const h5inspect::TensorStats& s);
  void on_selection();
  void rebuild_slice_controls(const h5inspect::TensorInfo& t);
  void apply_slice_from_controls();
  void load_histogram(const h5inspect::TensorInfo& t);
  void load_views();
  void show_histogram();
  void show_diffs();
  void track(InspectTask* task, const QString& what);
  const h5inspect::TensorInfo* selected_info() const;

  runfiles::Project project_;
  QString file_path_, run_id_, selected_;
  QString export_label_;   // "<tensor> to <file>" of the running export
  QStringList run_checkpoints_;
  std::shared_ptr<const h5inspect::TensorFile> file_;
  std::map<QString, h5inspect::TensorStats> stats_;
  QHash<QString, QTreeWidgetItem*> items_;
  h5inspect::Histogram histogram_;
  std::vector<h5inspect::TensorDiff> diffs_;
  h5inspect::SliceSpec slice_;

  InspectTask* open_task_ = nullptr;     // open + statistics of every tensor
  InspectTask* detail_task_ = nullptr;      // heatmap of the selected tensor's slice
  InspectTask* histogram_task_ = nullptr;   // histogram of the selected tensor
  InspectTask* diff_task_ = nullptr;
  InspectTask* export_task_ = nullptr;
  InspectTask* list_task_ = nullptr;     // a run's checkpoint folder

  QComboBox* checkpoints_ = nullptr;
  QPushButton* open_button_ = nullptr;
  QPushButton* compare_button_ = nullptr;
  QPushButton* export_button_ = nullptr;
  QSpinBox* resume_ranks_ = nullptr;
  QPushButton* resume_button_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QPushButton* cancel_button_ = nullptr;
  QLabel* message_ = nullptr;
  QTreeWidget* tree_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QChartView* chart_ = nullptr;
  QHBoxLayout* slice_row_ = nullptr;
  QComboBox* row_dim_ = nullptr;
  QComboBox* col_dim_ = nullptr;
  std::vector<QSpinBox*> fixed_;
  HeatmapView* heatmap_ = nullptr;
  QTableView* table_view_ = nullptr;
  TensorTableModel* table_model_ = nullptr;
  QTableWidget* diff_table_ = nullptr;
};

}  // namespace orrery::panels
