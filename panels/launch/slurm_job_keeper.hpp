// Keeps a submitted Slurm job's state current for as long as its run has no verdict: asks
// Slurm (remote::refresh_slurm_run, as `orrery run --target` does) every second off the UI
// thread, which records it in the run's slurm.json and, for a job that ended before its agent
// took the run over (cancelled while pending, a failing script), writes the run's verdict.
// Each change of state ("PENDING (Resources)", "RUNNING on node1", "COMPLETED") is passed on;
// once the run is final and the job has ended the keeper deletes itself.
// Through an ssh login node ("via"), Slurm is asked over that connection, and once the agent
// has taken the run over on the login node's side the run is handed to a RemoteRunKeeper
// (a RemoteRunMirror on the same connection: forwarded feed, mirrored run.json, copy back),
// as the CLI's follower does. The keepers of one target share a remote::SlurmRound: one squeue
// call per second for all the jobs they follow (a sweep's tasks), not one per keeper.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace orrery::remote {
class SlurmRound;
class SshConnection;
}

namespace orrery::panels {

class RemoteRunKeeper;

class SlurmJobKeeper : public QObject {
  Q_OBJECT
 public:
  // job: the run's Slurm job ("12", "12_3"), followed in round (shared with the target's other
  // keepers); via: the open connection to the login node (null for Slurm on this machine);
  // cancelled: its cancel flag.
  SlurmJobKeeper(QString runId, std::filesystem::path runDir, std::string job, std::shared_ptr<remote::SlurmRound> round,
                 QObject* parent, std::shared_ptr<remote::SshConnection> via = {},
                 std::shared_ptr<std::atomic<bool>> cancelled = {});
  static constexpr int kAskSlurmMs = 1000;
  ~SlurmJobKeeper() override;

 signals:
  void stateChanged(const QString& runId, const QString& state);
  void handedOver(const QString& runId, orrery::panels::RemoteRunKeeper* keeper);   // via: the agent runs, mirrored now
  void ended(const QString& runId, const QString& state);   // the run has its verdict and the job is over

 private:
  void ask();
  QString run_id_;
  std::filesystem::path run_dir_;
  std::shared_ptr<remote::SshConnection> via_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::string job_;
  // Shared by the target's keepers; its commands read where finished jobs are found (`scontrol
  // show config`) once, not at every look once slurmctld has purged the job.
  std::shared_ptr<remote::SlurmRound> round_;
  bool handed_over_ = false;
  QString last_;
  bool asking_ = false;
  QTimer timer_;
};

}  // namespace orrery::panels
