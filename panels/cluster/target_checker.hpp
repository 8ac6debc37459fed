// Runs remote::check_target off the UI thread (QtConcurrent), one check per target at a
// time, and keeps each target's last result. A check can be cancelled: it stops after the
// ssh or Slurm call it is in (each has its own timeout) and reads as cancelled.
#pragma once

#include "remote/target_check.hpp"

#include <QDateTime>
#include <QMap>
#include <QObject>
#include <QString>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

namespace orrery::panels {

class TargetChecker : public QObject {
  Q_OBJECT
 public:
  // targets: every target of the project; localAgent: this installation's orrery-agent.
  TargetChecker(std::vector<remote::Target> targets, std::filesystem::path localAgent, QObject* parent = nullptr);
  ~TargetChecker() override;

  const std::vector<remote::Target>& targets() const { return targets_; }
  // orrery.json was read again: these are the targets from now on (checks under way finish
  // with the settings they started with; results are kept by target name).
  void setTargets(std::vector<remote::Target> targets);
  // Starts a check of that target unless one is running; false when it was already running or unknown.
  bool check(const QString& target);
  // After a check that met an unknown host key: records the keys it was offered (those the person
  // was shown) in the known_hosts of the ssh target concerned, then checks again, both off the UI thread.
  bool trustAndCheck(const QString& target);
  // The person declined the host key: the last check stays failed, saying so.
  void declineHostKey(const QString& target);
  void cancelAll();

  bool running(const QString& target) const { return cancelFlags_.count(target) > 0; }
  bool anyRunning() const { return !cancelFlags_.empty(); }
  // The last finished check of that target, or nullptr when none finished yet.
  const remote::TargetCheck* lastCheck(const QString& target) const;
  // When that check ended (invalid before the first).
  QDateTime lastCheckedAt(const QString& target) const { return checkedAt_.value(target); }

 signals:
  void targetsAboutToChange();
  void targetsChanged();
  void started(const QString& target);
  void finished(const QString& target);

 private:
  struct Trust {
    remote::SshTarget host;                      // the target itself, or a Slurm target's "via"
    std::vector<remote::ScannedHostKey> keys;
  };
  bool start(const QString& target, Trust trust);

  std::vector<remote::Target> targets_;
  std::filesystem::path localAgent_;
  std::map<QString, std::shared_ptr<std::atomic<bool>>> cancelFlags_;   // the running checks
  std::map<QString, remote::TargetCheck> results_;
  QMap<QString, QDateTime> checkedAt_;
};

}  // namespace orrery::panels
