// Reads a run's spans from run.h5 into a timeline, and keeps reading while the run
// lives: every poll takes the rows the agent flushed since the last one (the agent
// flushes every 500 ms), rebuilds only the lanes that gained spans, and publishes a
// new immutable Timeline. Once run.json says the run is over (or its agent is gone),
// one last read and it stops.
//
// All HDF5 work happens on the follower's own thread; the UI thread hears of new
// timelines through a queued signal and never waits on the file.
#pragma once

#include "runfiles/project.hpp"
#include "timeline/timeline.hpp"

#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace orrery::panels {

class SpanFollower : public QObject {
  Q_OBJECT

 public:
  SpanFollower(runfiles::Project project, std::string run_id,
               std::chrono::milliseconds poll_interval = std::chrono::milliseconds(1000), QObject* parent = nullptr);
  ~SpanFollower() override;   // stops the thread: at most one read of run.h5 away

  // Starts reading (once the caller has connected to the signals).
  void start();
  const std::string& runId() const { return run_id_; }

 signals:
  // A newer timeline; `live` while the run still runs (more will come).
  void timelineChanged(std::shared_ptr<const orrery::timeline::Timeline> timeline, bool live);
  // Why the spans cannot be read now (no run.h5 yet, damaged file), "" once they can
  // again; retried while the run lives, a few times after.
  void problem(QString message);

 private:
  void work();

  runfiles::Project project_;
  std::string run_id_;
  std::chrono::milliseconds poll_interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace orrery::panels
