// Keeps a run on an ssh target followed for as long as it runs: owns the ssh connection
// and the RemoteRunMirror (core/remote/ssh_launcher.hpp) that forwards the agent's sockets,
// mirrors run.json into the local run folder (so the runs browser and the live charts
// follow the run exactly like a local one) and copies the folder back when the run ends.
// The mirror works on a thread of its own; this object only looks at it from the UI thread
// every half second, passes its notes on, and once the folder is copied back stops it off
// the UI thread and deletes itself.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "remote/ssh_launcher.hpp"

namespace orrery::panels {

// The mirror's notes ("connection lost", ...) written from its thread, read on the UI thread.
struct MirrorNotes {
  std::mutex mutex;
  std::vector<std::string> lines;
  void add(const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex);
    return std::exchange(lines, {});
  }
};

// What a started remote run needs to stay followed; made on a pool thread, handed to the keeper.
struct FollowedRemoteRun {
  std::string run_id;
  std::shared_ptr<std::atomic<bool>> cancelled;   // the connection's cancel flag: must outlive it
  std::shared_ptr<remote::SshConnection> ssh;
  std::shared_ptr<MirrorNotes> notes;
  std::shared_ptr<remote::RemoteRunMirror> mirror;   // started
};

class RemoteRunKeeper : public QObject {
  Q_OBJECT
 public:
  RemoteRunKeeper(FollowedRemoteRun run, QObject* parent);
  ~RemoteRunKeeper() override;

  QString runId() const { return QString::fromStdString(run_.run_id); }
  bool copiedBack() const { return copied_; }

 signals:
  void note(const QString& runId, const QString& line);
  void copiedBackTo(const QString& runId);   // the whole folder is here; the keeper goes away next

 private:
  void look();
  FollowedRemoteRun run_;
  QTimer timer_;
  bool copied_ = false;
};

}  // namespace orrery::panels
