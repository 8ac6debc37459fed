#include "launch/ssh_launch.hpp"

#include <QCoreApplication>
#include <QFutureWatcher>
#include <QMessageBox>
#include <QMetaObject>
#include <QWidget>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "cluster/host_key_prompt.hpp"
#include "launch/remote_run_keeper.hpp"
#include "remote/ssh_launcher.hpp"

namespace orrery::panels {

namespace {

// What the pool thread hands back: the followed runs, a host key to ask about, or why it failed
// (a sweep may have started some runs before one failed).
struct SshAttempt {
  std::vector<FollowedRemoteRun> runs;
  std::vector<remote::ScannedHostKey> unknown_keys;
  bool unknown_host_key = false;
  std::string error;
};

// How long the remote agent may take to start the ranks (launch_ssh's default).
constexpr std::chrono::seconds kAgentStartTimeout{20};

}  // namespace

SshLaunch::SshLaunch(RemoteLaunchRequest request, QWidget* question_parent)
    : QObject(question_parent),
      request_(std::move(request)),
      question_parent_(question_parent) {}

void SshLaunch::start() { attempt({}); }

void SshLaunch::cancel() {
  if (running_) cancelled_->store(true);
}

void SshLaunch::attempt(std::vector<remote::ScannedHostKey> trusted) {
  running_ = true;
  auto* watcher = new QFutureWatcher<SshAttempt>(this);
  connect(watcher, &QFutureWatcher<SshAttempt>::finished, this, [this, watcher] {
    SshAttempt outcome = watcher->result();
    watcher->deleteLater();
    if (outcome.unknown_host_key) return ask_about_host_key(std::move(outcome.unknown_keys));
    running_ = false;
    for (auto& run : outcome.runs) {
      const QString id = QString::fromStdString(run.run_id);
      auto* keeper = new RemoteRunKeeper(std::move(run), question_parent_ ? question_parent_.data() : parent());
      emit launched(id, keeper);
    }
    if (!outcome.error.empty()) return emit failed(QString::fromStdString(outcome.error));
    emit allLaunched(static_cast<int>(outcome.runs.size()));
  });
  // Progress lines come from the pool thread; they are queued to this object (dropped if it is gone).
  QPointer<SshLaunch> self(this);
  auto say = [self](const QString& line) {
    QMetaObject::invokeMethod(QCoreApplication::instance(), [self, line] { if (self) emit self->progress(line); },
                              Qt::QueuedConnection);
  };
  const QString where = QString::fromStdString(request_.target.name);
  watcher->setFuture(QtConcurrent::run([request = request_,
                                        cancelled = cancelled_, trusted = std::move(trusted), say, where] {
    SshAttempt out;
    try {
      if (!trusted.empty()) remote::trust_host_keys(request.target.ssh, trusted);
      remote::SshOptions options;
      options.cancelled = cancelled.get();
      auto ssh = std::make_shared<remote::SshConnection>(request.target.ssh, options);
      say(QStringLiteral("connecting to %1 (%2)...").arg(where, QString::fromStdString(ssh->describe())));
      try {
        ssh->open();
      } catch (const remote::UnknownHostKeyError&) {
        say(QStringLiteral("the host key of %1 is not known yet; fetching its fingerprints...").arg(where));
        out.unknown_keys = remote::scan_host_keys(request.target.ssh);
        out.unknown_host_key = true;
        return out;
      }
      const auto total = request.specs.size();
      for (std::size_t i = 0; i < total; ++i) {
        if (cancelled->load())
          throw std::runtime_error(i == 0 ? "cancelled before anything was started on " + request.target.name
                                          : "cancelled after " + std::to_string(i) + " of " + std::to_string(total) + " runs");
        const QString which = total > 1 ? QStringLiteral(" (run %1 of %2)").arg(i + 1).arg(total) : QString();
        say(QStringLiteral("deploying the runtime and the worker to %1 and starting the agent%2...").arg(where, which));
        // Files copied n of N: a cold target (the agent, the rank launcher, the worker) takes seconds.
        const auto deploying = [say, where, which](const remote::DeployProgress& p) {
          say(p.sending ? QStringLiteral("deploying to %1%2: sending %3 (file %4 of %5)...")
                              .arg(where, which, QString::fromStdString(p.file))
                              .arg(p.checked)
                              .arg(p.total)
                        : QStringLiteral("deploying to %1%2: %3 of %4 files checked, %5 sent")
                              .arg(where, which)
                              .arg(p.checked)
                              .arg(p.total)
                              .arg(p.sent));
        };
        auto run = remote::launch_ssh(request.project, request.kind, request.specs[i], request.paths, request.target, *ssh,
                                      kAgentStartTimeout, deploying);
        say(QStringLiteral("run %1 started on %2 (%3 of %4 files sent)%5; forwarding its sockets...")
                .arg(QString::fromStdString(run.run_id), where)
                .arg(run.deployed.sent)
                .arg(run.deployed.checked)
                .arg(which));
        auto notes = std::make_shared<MirrorNotes>();
        auto mirror = std::make_shared<remote::RemoteRunMirror>(*ssh, run, [notes](const std::string& line) { notes->add(line); });
        mirror->start();
        out.runs.push_back({run.run_id, cancelled, ssh, std::move(notes), std::move(mirror)});
      }
    } catch (const std::exception& e) {
      out.error = std::string(cancelled->load() ? "cancelled: " : "") + "launch on " + request.target.name + " failed: " + e.what();
    }
    return out;
  }));
}

void SshLaunch::ask_about_host_key(std::vector<remote::ScannedHostKey> offered) {
  remote::TargetCheck check;
  check.target = request_.target.name;
  check.outcome = remote::TargetCheck::Outcome::UnknownHostKey;
  check.unknown_host = request_.target.ssh;
  check.offered_keys = offered;
  QMessageBox* box = askToTrustHostKey(question_parent_, check);
  connect(box, &QMessageBox::finished, this, [this, box, offered = std::move(offered)] {
    if (box->clickedButton() == box->button(QMessageBox::Yes) && !offered.empty()) {
      emit progress(tr("host key of %1 trusted; connecting again...").arg(QString::fromStdString(request_.target.name)));
      attempt(offered);
      return;
    }
    running_ = false;
    emit failed(tr("not launched: the host key of %1 (target %2) was not trusted")
                    .arg(QString::fromStdString(request_.target.ssh.host), QString::fromStdString(request_.target.name)));
  });
  box->open();
  emit hostKeyAsked(box);
}

}  // namespace orrery::panels
