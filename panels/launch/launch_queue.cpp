#include "launch/launch_queue.hpp"

#include <QFutureWatcher>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "runfiles/run_record.hpp"

namespace orrery::panels {

namespace {

// What a launch on a pool thread hands back to the UI thread.
struct LaunchOutcome {
  std::string run_id;
  std::string error;
};

// Poll interval for run.json of this queue's running runs while launches wait for a slot.
constexpr int kPollMs = 300;

}  // namespace

LaunchQueue::LaunchQueue(runfiles::Project project, launch::InstallPaths paths, spec::KindSchema kind,
                         std::vector<Item> items, int concurrency, QObject* parent)
    : QObject(parent),
      project_(std::move(project)),
      paths_(std::move(paths)),
      kind_(std::move(kind)),
      pending_(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end())),
      concurrency_(std::max(1, concurrency)),
      total_(static_cast<int>(pending_.size())) {
  poll_timer_.setInterval(kPollMs);
  connect(&poll_timer_, &QTimer::timeout, this, &LaunchQueue::poll_running);
}

void LaunchQueue::start() { pump(); }

void LaunchQueue::cancelPending() {
  cancelled_ += static_cast<int>(pending_.size());
  pending_.clear();
  emit progressChanged();
  maybe_finish();
}

void LaunchQueue::pump() {
  while (!pending_.empty() && in_flight_ + static_cast<int>(running_.size()) < concurrency_) {
    Item item = std::move(pending_.front());
    pending_.pop_front();
    launch_one(std::move(item));
  }
  // Only a queue with runs waiting for a slot needs to watch the running ones end.
  if (!pending_.empty() && !running_.empty()) poll_timer_.start();
  else poll_timer_.stop();
  maybe_finish();
}

void LaunchQueue::launch_one(Item item) {
  ++started_;
  ++in_flight_;
  emit progressChanged();
  auto* watcher = new QFutureWatcher<LaunchOutcome>(this);
  const QString label = item.label;
  connect(watcher, &QFutureWatcher<LaunchOutcome>::finished, this, [this, watcher, label] {
    LaunchOutcome outcome = watcher->result();
    watcher->deleteLater();
    --in_flight_;
    if (outcome.error.empty()) {
      ++launched_;
      running_.insert(outcome.run_id);
      emit runLaunched(QString::fromStdString(outcome.run_id));
    } else {
      QString what = label.isEmpty() ? QStringLiteral("launch failed: ") : QStringLiteral("launch of %1 failed: ").arg(label);
      emit launchFailed(what + QString::fromStdString(outcome.error));
    }
    emit progressChanged();
    pump();
  });
  // Everything the pool thread uses is a copy: the queue may be gone when it ends.
  watcher->setFuture(QtConcurrent::run([project = project_, paths = paths_, kind = kind_, spec = std::move(item.spec)] {
    LaunchOutcome outcome;
    try {
      outcome.run_id = launch::launch_local(project, kind, spec, paths).run_id;
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    return outcome;
  }));
}

void LaunchQueue::poll_running() {
  if (polling_ || running_.empty()) return;
  polling_ = true;
  auto* watcher = new QFutureWatcher<std::vector<std::string>>(this);
  connect(watcher, &QFutureWatcher<std::vector<std::string>>::finished, this, [this, watcher] {
    for (const auto& id : watcher->result()) running_.erase(id);
    watcher->deleteLater();
    polling_ = false;
    pump();
  });
  std::vector<std::string> ids(running_.begin(), running_.end());
  watcher->setFuture(QtConcurrent::run([project = project_, ids] {
    std::vector<std::string> ended;
    for (const auto& id : ids) {
      try {
        auto record = runfiles::read_run_record(runfiles::run_path(project, id));
        if (runfiles::is_final(launch::observed_status(record))) ended.push_back(id);
      } catch (const std::exception&) {
        ended.push_back(id);   // deleted or unreadable: it no longer holds a slot
      }
    }
    return ended;
  }));
}

void LaunchQueue::maybe_finish() {
  if (finished_ || !idle()) return;
  finished_ = true;
  poll_timer_.stop();
  emit finished();
}

}  // namespace orrery::panels
