// One launch on a Slurm target (on this machine) from the launch form: the run's folder and
// its sbatch script are made off the UI thread (remote::prepare_slurm, as `orrery run
// --target`; the script is kept in the folder as job.sh), the script is shown to the user in
// a dialog with Submit and Cancel, and Submit hands it to sbatch off the UI thread
// (remote::submit_slurm). A SlurmJobKeeper then keeps the job's state current until the run
// has its verdict. Cancel removes the folder that was prepared for it: nothing was submitted.
// A Slurm target reached through an ssh login node ("via") is reached first: its connection is
// opened off the UI thread (an unknown host key is put to the user as for ssh targets), the job
// is prepared in the login node's work folder and submitted over that connection, and the
// keeper then follows it there and hands the run to a RemoteRunKeeper once its agent runs.
// A sweep is one job array (remote::prepare_slurm with every spec, as `orrery run --sweep`):
// one script, one submission, then one keeper per run (array task i runs the sweep's run i).
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

#include "launch/remote_launch_request.hpp"
#include "remote/host_keys.hpp"

class QDialog;
class QMessageBox;
class QWidget;

namespace orrery::remote {
struct SlurmBatch;
class SshConnection;
}

namespace orrery::panels {

class SlurmJobKeeper;

class SlurmLaunch : public QObject {
  Q_OBJECT
 public:
  SlurmLaunch(RemoteLaunchRequest request, QWidget* dialog_parent);
  ~SlurmLaunch() override;

  void start();
  bool running() const { return running_; }

 signals:
  void progress(const QString& line);
  void hostKeyAsked(QMessageBox* box);   // the via target's host key is unknown: Yes trusts it and goes on
  void scriptShown(QDialog* dialog);   // objectName "launch.sbatchScript"; accept() submits, reject() cancels
  void submitted(const QString& runId, const QString& jobId, orrery::panels::SlurmJobKeeper* keeper);   // once per run
  void allSubmitted(int runs);   // after the last submitted()
  void failed(const QString& message);

 private:
  void prepare(std::vector<remote::ScannedHostKey> trusted);
  void ask_about_host_key(remote::SshTarget host, std::vector<remote::ScannedHostKey> offered);
  void show_script();
  void submit();
  void drop_prepared();

  RemoteLaunchRequest request_;
  QPointer<QWidget> dialog_parent_;
  std::shared_ptr<remote::SlurmBatch> batch_;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);   // via's cancel flag
  std::shared_ptr<remote::SshConnection> via_;   // open connection to the login node (null: Slurm on this machine)
  bool running_ = false;
};

}  // namespace orrery::panels
