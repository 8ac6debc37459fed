#include "cluster/target_checker.hpp"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace orrery::panels {

TargetChecker::TargetChecker(std::vector<remote::Target> targets, std::filesystem::path localAgent, QObject* parent)
    : QObject(parent), targets_(std::move(targets)), localAgent_(std::move(localAgent)) {}

TargetChecker::~TargetChecker() { cancelAll(); }

void TargetChecker::setTargets(std::vector<remote::Target> targets) {
  emit targetsAboutToChange();
  targets_ = std::move(targets);
  emit targetsChanged();
}

const remote::TargetCheck* TargetChecker::lastCheck(const QString& target) const {
  auto it = results_.find(target);
  return it == results_.end() ? nullptr : &it->second;
}

bool TargetChecker::check(const QString& target) { return start(target, {}); }

bool TargetChecker::trustAndCheck(const QString& target) {
  const auto* last = lastCheck(target);
  if (!last || last->outcome != remote::TargetCheck::Outcome::UnknownHostKey || last->offered_keys.empty()) return false;
  return start(target, {last->unknown_host, last->offered_keys});
}

void TargetChecker::declineHostKey(const QString& target) {
  auto it = results_.find(target);
  if (it == results_.end() || it->second.outcome != remote::TargetCheck::Outcome::UnknownHostKey) return;
  auto& check = it->second;
  check.outcome = remote::TargetCheck::Outcome::Failed;
  check.connection = "not connected: the host key of " + check.unknown_host.host +
                     " was not trusted (declined). " + check.connection;
  emit finished(target);
}

void TargetChecker::cancelAll() {
  for (auto& [name, flag] : cancelFlags_) flag->store(true);
}

bool TargetChecker::start(const QString& target, Trust trust) {
  auto found = remote::find_target(targets_, target.toStdString());
  if (!found || running(target)) return false;
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  cancelFlags_[target] = cancelled;
  remote::TargetCheckOptions options;
  options.scan_unknown_host_key = true;
  options.local_agent = localAgent_;
  options.cancelled = cancelled.get();
  // The task owns copies of all it reads (and the flag), so it may outlive this object.
  auto task = [t = *found, all = targets_, options, cancelled, trust = std::move(trust)]() -> remote::TargetCheck {
    if (!trust.keys.empty()) {
      try {
        remote::trust_host_keys(trust.host, trust.keys);
      } catch (const std::exception& e) {
        remote::TargetCheck failed;
        failed.target = t.name;
        failed.connection = std::string("the host key could not be recorded: ") + e.what();
        return failed;
      }
    }
    return remote::check_target(t, all, options);
  };
  auto* watcher = new QFutureWatcher<remote::TargetCheck>(this);
  connect(watcher, &QFutureWatcher<remote::TargetCheck>::finished, this, [this, watcher, target] {
    results_[target] = watcher->result();
    checkedAt_[target] = QDateTime::currentDateTime();
    cancelFlags_.erase(target);
    watcher->deleteLater();
    emit finished(target);
  });
  watcher->setFuture(QtConcurrent::run(std::move(task)));
  emit started(target);
  return true;
}

}  // namespace orrery::panels
