// One launch on an ssh target from the launch form, off the UI thread: connect (the system's
// ssh, a control master), deploy and start the remote agent (remote::launch_ssh, as the CLI's
// `orrery run --target`), then start the RemoteRunMirror and hand the run to a RemoteRunKeeper
// that keeps it followed until its folder is copied back. Progress lines say which step is
// under way (deploying: each file checked or sent, "file n of N"); cancel() kills the ssh call under way. A host key seen for the first time is
// put to the user with the cluster panel's question (its fingerprints); Yes records exactly
// those keys and launches again, No ends the launch with a clear message. A sweep's runs are
// started one after another over the one connection (the binaries deployed once: the later
// runs find them current), each handed to its own keeper; Cancel stops before the next run.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

#include "launch/local_launcher.hpp"
#include "launch/remote_launch_request.hpp"
#include "remote/host_keys.hpp"
#include "remote/target.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

class QMessageBox;
class QWidget;

namespace orrery::panels {

class RemoteRunKeeper;

class SshLaunch : public QObject {
  Q_OBJECT
 public:
  // question_parent: the widget the host-key question opens over; keepers become its children.
  SshLaunch(RemoteLaunchRequest request, QWidget* question_parent);

  void start();
  void cancel();
  bool running() const { return running_; }

 signals:
  void progress(const QString& line);
  void hostKeyAsked(QMessageBox* box);
  void launched(const QString& runId, orrery::panels::RemoteRunKeeper* keeper);   // once per run
  void failed(const QString& message);   // after the runs that did start (if any) were passed on as launched
  void allLaunched(int runs);            // every run of the request was launched

 private:
  void attempt(std::vector<remote::ScannedHostKey> trusted);
  void ask_about_host_key(std::vector<remote::ScannedHostKey> offered);

  RemoteLaunchRequest request_;
  QPointer<QWidget> question_parent_;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  bool running_ = false;
};

}  // namespace orrery::panels
