#include "launch/remote_run_keeper.hpp"

#include <QtConcurrent/QtConcurrentRun>

namespace orrery::panels {

namespace {
constexpr int kLookMs = 500;

// Stopping the mirror joins its thread, which may be inside an ssh call (seconds): never on the UI thread.
void stop_elsewhere(FollowedRemoteRun run) {
  if (!run.mirror) return;
  (void)QtConcurrent::run([mirror = std::move(run.mirror), ssh = std::move(run.ssh), cancelled = std::move(run.cancelled)] {
    mirror->stop();
  });
}
}  // namespace

RemoteRunKeeper::RemoteRunKeeper(FollowedRemoteRun run, QObject* parent) : QObject(parent), run_(std::move(run)) {
  timer_.setInterval(kLookMs);
  connect(&timer_, &QTimer::timeout, this, &RemoteRunKeeper::look);
  timer_.start();
}

RemoteRunKeeper::~RemoteRunKeeper() {
  // The workbench closes while the run goes on: the remote agent keeps running (detached),
  // and `orrery attach` can follow it and copy it back later (remote.json says where it is).
  if (run_.cancelled) run_.cancelled->store(true);
  if (run_.mirror) run_.mirror->stop();
}

void RemoteRunKeeper::look() {
  for (const auto& line : run_.notes->take()) emit note(runId(), QString::fromStdString(line));
  if (!run_.mirror->wait_copied(std::chrono::milliseconds(0))) return;
  timer_.stop();
  copied_ = true;
  const QString id = runId();
  stop_elsewhere(std::exchange(run_, FollowedRemoteRun{run_.run_id, {}, {}, run_.notes, {}}));
  emit copiedBackTo(id);
  deleteLater();
}

}  // namespace orrery::panels
