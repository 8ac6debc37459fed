// One launch on a Slurm target (on this machine) from the launch form: the run's folder and
// its sbatch script are made off the UI thread (remote::prepare_slurm, as `orrery run
// --target`; the script is kept in the folder as job.sh), the script is shown to the user in
// a dialog with Submit and Cancel, and Submit hands it to sbatch off the UI thread
// (remote::submit_slurm). A SlurmJobKeeper then keeps the job's state current until the run
// has its verdict. Cancel removes the folder that was prepared for it: nothing was submitted.
// Slurm targets reached through an ssh login node ("via") are not launched from the form yet.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

#include "launch/remote_launch_request.hpp"

class QDialog;
class QWidget;

namespace orrery::remote {
struct SlurmBatch;
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
  void scriptShown(QDialog* dialog);   // objectName "launch.sbatchScript"; accept() submits, reject() cancels
  void submitted(const QString& runId, const QString& jobId, orrery::panels::SlurmJobKeeper* keeper);
  void failed(const QString& message);

 private:
  void show_script();
  void submit();
  void drop_prepared();

  RemoteLaunchRequest request_;
  QPointer<QWidget> dialog_parent_;
  std::shared_ptr<remote::SlurmBatch> batch_;
  bool running_ = false;
};

}  // namespace orrery::panels
