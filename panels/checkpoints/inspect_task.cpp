#include "checkpoints/inspect_task.hpp"

#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

namespace orrery::panels {

void InspectTask::Channel::deliver(std::function<void()> fn) {
  InspectTask* task = task_;
  const int generation = generation_;
  // `task` outlives this call: its destructor waits for every work function.
  QMetaObject::invokeMethod(
      task, [task, generation, fn = std::move(fn)] {
        if (task->generation_ == generation) fn();
      },
      Qt::QueuedConnection);
}

InspectTask::InspectTask(QObject* parent) : QObject(parent) {
  poll_.setInterval(100);
  connect(&poll_, &QTimer::timeout, this, &InspectTask::poll);
}

InspectTask::~InspectTask() {
  drop_running();
  for (auto& f : futures_) f.waitForFinished();
}

void InspectTask::start(Work work) {
  drop_running();
  futures_.removeIf([](const QFuture<void>& f) { return f.isFinished(); });
  auto channel = std::make_shared<Channel>();
  channel->task_ = this;
  channel->generation_ = ++generation_;
  running_ = channel;
  poll_.start();
  futures_.append(QtConcurrent::run([channel, work = std::move(work)] {
    bool ok = true;
    QString message;
    try {
      work(*channel);
    } catch (const h5inspect::Cancelled&) {
      ok = false;
      message = QStringLiteral("cancelled");
    } catch (const std::exception& e) {
      ok = false;
      message = QString::fromStdString(e.what());
    }
    channel->deliver([task = channel->task_, ok, message] {
      task->poll();
      task->running_.reset();
      task->poll_.stop();
      emit task->finished(ok, message);
    });
  }));
}

void InspectTask::cancel() {
  if (!running_) return;
  drop_running();
  emit finished(false, QStringLiteral("cancelled"));
}

void InspectTask::drop_running() {
  if (!running_) return;
  running_->cancel_.store(true);
  running_.reset();
  ++generation_;   // whatever the cancelled run still delivers is dropped
  poll_.stop();
}

void InspectTask::poll() {
  if (running_)
    emit progress(static_cast<qint64>(running_->done_.load()), static_cast<qint64>(running_->total_.load()));
}

}  // namespace orrery::panels
