// The workbench's source of run data for the charts: for each watched run, the
// history from run.h5 and then the live feed of its agent, spliced without a gap
// or a duplicate (RunFollower), into one shared SeriesStore.
//
// All file and network work happens on one worker thread owned by the service
// (serial HDF5 is not thread-safe: the workbench's run data is read from that
// thread only). The UI thread hears about it through two coalesced signals.
// A GUI started while runs live re-attaches simply by watching them: history
// first, then the feed.
#pragma once

#include "runfiles/project.hpp"
#include "series/series_store.hpp"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace orrery::panels {

class RunDataService : public QObject {
  Q_OBJECT

 public:
  RunDataService(const runfiles::Project& project, std::shared_ptr<series::SeriesStore> store,
                 QObject* parent = nullptr);
  // Stops the worker: at most one feed wait (~20 ms) or one file read away, whatever the agents do.
  ~RunDataService() override;

  std::shared_ptr<series::SeriesStore> store() const { return store_; }
  QStringList watchedRuns() const;
  // The last status observed for a watched run ("" when not known yet).
  QString runStatus(const QString& runId) const;
  // Runs whose store had to be re-read at their end because the live splice disagreed
  // with run.h5 (expected 0 unless the feed lost messages the rules could not recover).
  int repairs() const { return repairs_.load(); }
  // Points the store took from live feeds (the rest came from run.h5): shows the feed at work.
  std::uint64_t feedPoints() const { return feed_points_.load(); }

 public slots:
  // The runs whose data the store should hold. Runs no longer listed leave the store.
  void watchRuns(const QStringList& runIds);

 signals:
  // Runs whose series gained points since the last emission; at most every ~50 ms.
  void dataArrived(QStringList runIds);
  void runStatusChanged(QString runId, QString status);

 private:
  void work();                    // the worker thread
  void wakeUiThread();            // from the worker: schedule deliver() on the UI thread
  void deliver();                 // UI thread: emit what the worker found

  runfiles::Project project_;
  std::shared_ptr<series::SeriesStore> store_;
  QTimer coalesce_;               // UI thread: spaces dataArrived
  qint64 last_delivery_ms_ = 0;

  mutable std::mutex mutex_;      // guards what follows, shared with the worker
  std::condition_variable wake_worker_;
  bool stop_ = false;
  std::vector<std::string> wanted_;                          // runs to watch, in order
  std::set<std::string> dirty_;                              // runs with new points, not delivered yet
  std::vector<std::pair<std::string, std::string>> statuses_;   // (run, status) not delivered yet
  std::map<std::string, std::string> last_status_;
  std::atomic<bool> delivery_posted_{false};
  std::atomic<int> repairs_{0};
  std::atomic<std::uint64_t> feed_points_{0};

  std::thread worker_;            // last: starts once everything above exists
};

}  // namespace orrery::panels
