// Launches a list of validated specs (one run, or every run of a sweep) off the
// UI thread, never more than `concurrency` at a time: a queued run starts when
// one of this queue's runs has ended. launch_local blocks until the agent has
// taken over (up to seconds), and run.json is polled from disk, so both happen
// on the global thread pool; this object only keeps the books on the UI thread.
#pragma once

#include <deque>
#include <set>
#include <string>
#include <vector>

#include <QObject>
#include <QString>
#include <QTimer>

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

namespace orrery::panels {

class LaunchQueue : public QObject {
  Q_OBJECT
 public:
  struct Item {
    spec::Spec spec;
    QString label;   // "iterations=20, mode=fast" for a sweep's run, for messages
  };
  LaunchQueue(runfiles::Project project, launch::InstallPaths paths, spec::KindSchema kind, std::vector<Item> items,
              int concurrency, QObject* parent = nullptr);

  void start();
  // Drops the launches not yet started; launches in flight complete, runs go on.
  void cancelPending();

  int total() const { return total_; }
  int started() const { return started_; }       // launches begun (in flight, launched or failed)
  int launched() const { return launched_; }     // runs whose agent took over
  int cancelled() const { return cancelled_; }
  bool idle() const { return pending_.empty() && in_flight_ == 0; }

 signals:
  void runLaunched(const QString& runId);
  void launchFailed(const QString& message);
  void progressChanged();
  void finished();   // nothing left to start: every item launched, failed or cancelled

 private:
  void pump();
  void launch_one(Item item);
  void poll_running();
  void maybe_finish();

  runfiles::Project project_;
  launch::InstallPaths paths_;
  spec::KindSchema kind_;
  std::deque<Item> pending_;
  std::set<std::string> running_;   // launched runs not yet seen in a final state
  int concurrency_;
  int total_ = 0, started_ = 0, launched_ = 0, cancelled_ = 0, in_flight_ = 0;
  bool polling_ = false, finished_ = false;
  QTimer poll_timer_;
};

}  // namespace orrery::panels
