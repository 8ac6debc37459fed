#include "common/run_data_service.hpp"

#include "common/run_follower.hpp"

#include <QDateTime>
#include <QMetaObject>

#include <algorithm>
#include <chrono>

namespace orrery::panels {

namespace {
using namespace std::chrono_literals;
constexpr int kCoalesceMs = 50;
constexpr auto kSingleFeedWait = 20ms;   // one live run: wait on its feed
constexpr auto kIdleWait = 10ms;         // several live runs: poll each, then rest this long
constexpr auto kQuietWait = 200ms;       // nothing live: run.json and files only
}  // namespace

RunDataService::RunDataService(const runfiles::Project& project, std::shared_ptr<series::SeriesStore> store,
                               QObject* parent)
    : QObject(parent), project_(project), store_(std::move(store)) {
  coalesce_.setSingleShot(true);
  connect(&coalesce_, &QTimer::timeout, this, &RunDataService::deliver);
  worker_ = std::thread([this] { work(); });
}

RunDataService::~RunDataService() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_worker_.notify_all();
  worker_.join();
}

QStringList RunDataService::watchedRuns() const {
  std::lock_guard lock(mutex_);
  QStringList ids;
  for (const auto& id : wanted_) ids << QString::fromStdString(id);
  return ids;
}

QString RunDataService::runStatus(const QString& runId) const {
  std::lock_guard lock(mutex_);
  auto it = last_status_.find(runId.toStdString());
  return it == last_status_.end() ? QString() : QString::fromStdString(it->second);
}

void RunDataService::watchRuns(const QStringList& runIds) {
  {
    std::lock_guard lock(mutex_);
    wanted_.clear();
    for (const auto& id : runIds) {
      auto s = id.toStdString();
      if (runfiles::valid_run_id(s) && std::find(wanted_.begin(), wanted_.end(), s) == wanted_.end())
        wanted_.push_back(std::move(s));
    }
  }
  wake_worker_.notify_all();
}

// ---------------------------------------------------------------------------
// worker thread
// ---------------------------------------------------------------------------
void RunDataService::work() {
  std::map<std::string, std::unique_ptr<RunFollower>> followers;
  for (;;) {
    std::vector<std::string> wanted;
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
      wanted = wanted_;
    }
    // Runs no longer watched leave the store; new ones start from their history.
    for (auto it = followers.begin(); it != followers.end();) {
      if (std::find(wanted.begin(), wanted.end(), it->first) != wanted.end()) {
        ++it;
        continue;
      }
      store_->remove_run(it->first);
      {
        std::lock_guard lock(mutex_);
        last_status_.erase(it->first);
        dirty_.insert(it->first);
      }
      it = followers.erase(it);
      wakeUiThread();
    }
    for (const auto& id : wanted)
      if (!followers.count(id)) followers.emplace(id, std::make_unique<RunFollower>(project_, id, store_));

    const auto live = std::count_if(followers.begin(), followers.end(), [](const auto& f) { return f.second->live(); });
    bool anything = false;
    for (auto& [id, follower] : followers) {
      auto progress = follower->poll(live == 1 && follower->live() ? kSingleFeedWait : 0ms);
      if (progress.repaired) ++repairs_;
      feed_points_ += progress.feed_points;
      if (!progress.data && !progress.status) continue;
      anything = true;
      std::lock_guard lock(mutex_);
      if (progress.data) dirty_.insert(id);
      if (progress.status) {
        statuses_.emplace_back(id, *progress.status);
        last_status_[id] = *progress.status;
      }
    }
    if (anything) wakeUiThread();
    if (live == 1 || anything) continue;   // the wait happened on the feed, or more may be queued
    std::unique_lock lock(mutex_);
    wake_worker_.wait_for(lock, live > 0 ? std::chrono::milliseconds(kIdleWait) : std::chrono::milliseconds(kQuietWait),
                          [&] { return stop_ || wanted_ != wanted; });
  }
}

void RunDataService::wakeUiThread() {
  if (delivery_posted_.exchange(true)) return;   // one pending wake-up is enough
  QMetaObject::invokeMethod(
      this,
      [this] {
        // Emissions at most every kCoalesceMs: the charts redraw per emission, never per point.
        const qint64 since = QDateTime::currentMSecsSinceEpoch() - last_delivery_ms_;
        if (!coalesce_.isActive()) coalesce_.start(static_cast<int>(std::clamp<qint64>(kCoalesceMs - since, 0, kCoalesceMs)));
      },
      Qt::QueuedConnection);
}

// ---------------------------------------------------------------------------
// UI thread
// ---------------------------------------------------------------------------
void RunDataService::deliver() {
  delivery_posted_.store(false);
  last_delivery_ms_ = QDateTime::currentMSecsSinceEpoch();
  std::set<std::string> dirty;
  std::vector<std::pair<std::string, std::string>> statuses;
  {
    std::lock_guard lock(mutex_);
    dirty.swap(dirty_);
    statuses.swap(statuses_);
  }
  for (const auto& [id, status] : statuses) emit runStatusChanged(QString::fromStdString(id), QString::fromStdString(status));
  if (dirty.empty()) return;
  QStringList ids;
  for (const auto& id : dirty) ids << QString::fromStdString(id);
  emit dataArrived(ids);
}

}  // namespace orrery::panels
