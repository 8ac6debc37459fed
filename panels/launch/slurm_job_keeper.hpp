// Keeps a submitted Slurm job's state current for as long as its run has no verdict: asks
// Slurm (remote::refresh_slurm_run, as `orrery run --target` does) every second off the UI
// thread, which records it in the run's slurm.json and, for a job that ended before its agent
// took the run over (cancelled while pending, a failing script), writes the run's verdict.
// Each change of state ("PENDING (Resources)", "RUNNING on node1", "COMPLETED") is passed on;
// once the run is final and the job has ended the keeper deletes itself.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

#include <filesystem>

namespace orrery::panels {

class SlurmJobKeeper : public QObject {
  Q_OBJECT
 public:
  SlurmJobKeeper(QString runId, std::filesystem::path runDir, QObject* parent);

 signals:
  void stateChanged(const QString& runId, const QString& state);
  void ended(const QString& runId, const QString& state);   // the run has its verdict and the job is over

 private:
  void ask();
  QString run_id_;
  std::filesystem::path run_dir_;
  QString last_;
  bool asking_ = false;
  QTimer timer_;
};

}  // namespace orrery::panels
