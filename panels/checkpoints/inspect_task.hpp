// One kind of background work of the checkpoint browser (scan, histogram, diff, export):
// runs a function on a pool thread with a progress counter and a cancel flag, and hands
// its results to the UI thread. Starting it again cancels the previous run, whose
// results are then dropped. The destructor cancels and waits (at most one block read).
#pragma once

#include "h5inspect/tensor_stats.hpp"

#include <QFuture>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

namespace orrery::panels {

class InspectTask : public QObject {
  Q_OBJECT
 public:
  // What the work function sees: its cancel flag and progress, and deliver() to run a
  // function on the UI thread (dropped when the task was restarted or destroyed).
  class Channel {
   public:
    const std::atomic<bool>* cancel() const { return &cancel_; }
    h5inspect::Progress progress() {
      return [this](std::uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); };
    }
    void setTotal(std::uint64_t total) { total_.store(total); }
    void deliver(std::function<void()> fn);

   private:
    friend class InspectTask;
    InspectTask* task_ = nullptr;
    int generation_ = 0;
    std::atomic<bool> cancel_{false};
    std::atomic<std::uint64_t> done_{0}, total_{0};
  };
  using Work = std::function<void(Channel&)>;

  explicit InspectTask(QObject* parent = nullptr);
  ~InspectTask() override;

  void start(Work work);
  // Stops the running work (finished(false, "cancelled") at once); nothing when idle.
  void cancel();
  bool busy() const { return running_ != nullptr; }

 signals:
  void progress(qint64 done, qint64 total);
  // ok false: message says why (the RunFileError's text, or "cancelled").
  void finished(bool ok, const QString& message);

 private:
  void poll();
  void drop_running();
  std::shared_ptr<Channel> running_;
  int generation_ = 0;
  QList<QFuture<void>> futures_;
  QTimer poll_;
};

}  // namespace orrery::panels
