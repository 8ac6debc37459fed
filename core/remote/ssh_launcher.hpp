// Launching a run on an SSH target and keeping its local copy in step.
//
// The remote side is laid out like an installation plus a project:
//   <work_dir>/bin/            orrery-agent, orrery-rank, the job kind's worker (deployed by content hash)
//   <work_dir>/runs/<run-id>/  written by the remote agent (run.json, run.h5, logs/)
// The local project holds runs/<run-id>/ from the start: run.json mirrors the remote one
// (its feed and control endpoints replaced by local sockets forwarded through the ssh
// connection, so the ordinary feed client follows the run), remote.json says where the
// run lives, and when the run ends the whole remote folder is copied back.
#pragma once

#include "launch/local_launcher.hpp"
#include "remote/copy_back.hpp"
#include "remote/deploy.hpp"
#include "remote/ssh_connection.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace orrery::remote {

struct RemoteRun {
  std::string run_id;
  std::string target;                       // the target's name in orrery.json
  std::filesystem::path local_run_dir;
  std::string remote_run_dir;
  runfiles::RunRecord record;               // the remote agent's run.json once it took over
  DeployReport deployed;
};

// The remote work folder as an absolute path (created when missing); throws SshError.
std::string remote_work_dir(const SshConnection& ssh, const std::string& work_dir);

// What a run needs on the remote side, to deploy to <remote_bin>: orrery-agent, orrery-rank, and
// the files of the rank's argv that live in this installation (the job kind's worker, its scripts),
// found by rendering the argv twice: with the local paths and with the remote ones.
std::vector<DeployFile> files_for_run(const launch::InstallPaths& paths, const std::string& remote_bin,
                                      const std::vector<std::string>& local_argv, const std::vector<std::string>& remote_argv);

// The remote agent's run.json; nullopt when it cannot be read (yet).
std::optional<runfiles::RunRecord> read_remote_record(const SshConnection& ssh, const std::string& run_dir,
                                                      std::chrono::milliseconds timeout);

// A local run's remote.json (written by RemoteRunMirror: where the run lives and whether its
// folder is copied back); nullopt when the run has none or it is not a JSON object.
std::optional<nlohmann::json> read_remote_json(const std::filesystem::path& local_run_dir);

// Deploys what the run needs, writes its run.json remotely, starts the remote agent
// detached (it survives the ssh connection), and waits until it has started the ranks.
// Throws SshError / std::runtime_error with a reason a user can act on.
RemoteRun launch_ssh(const runfiles::Project& project, const spec::KindSchema& kind, const spec::Spec& spec,
                     const launch::InstallPaths& paths, const Target& target, const SshConnection& ssh,
                     std::chrono::milliseconds agent_start_timeout = std::chrono::seconds(20),
                     const DeployProgressFn& deploy_progress = {});   // called as the files are checked and sent

// Keeps a remote run's local folder in step on a thread of its own: forwards the agent's
// feed and control sockets, mirrors run.json every interval, notices a lost connection
// (its master gone) and reconnects with backoff (0.25 s doubling to 8 s), and when the
// run has ended copies its folder back (copy_back.hpp: resumable, file by file; retried
// until it succeeds or stop() is called).
class RemoteRunMirror {
 public:
  using Note = std::function<void(const std::string&)>;   // progress lines for the user ("connection lost", ...)
  RemoteRunMirror(SshConnection& ssh, RemoteRun run, Note note,
                  std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~RemoteRunMirror();
  RemoteRunMirror(const RemoteRunMirror&) = delete;
  RemoteRunMirror& operator=(const RemoteRunMirror&) = delete;

  // Sets up the forwards and writes the first local run.json (so a feed client can connect); throws SshError.
  void start();
  // Waits until the run's folder has been copied back (true) or timeout passes / stop() was called (false).
  bool wait_copied(std::chrono::milliseconds timeout);
  void stop();
  int reconnects() const { return reconnects_.load(); }

 private:
  void loop();
  bool mirror_once();          // false: the remote run.json could not be read
  void forward();
  bool reconnect();
  bool copy_back();
  void write_remote_json();
  runfiles::RunRecord local_view(runfiles::RunRecord record) const;   // endpoints → the forwarded sockets

  SshConnection& ssh_;
  RemoteRun run_;
  Note note_;
  std::chrono::milliseconds interval_;
  std::filesystem::path feed_socket_, control_socket_;
  std::string remote_feed_, remote_control_;
  std::atomic<bool> stop_{false}, copied_{false}, final_{false};
  bool done_ = false;   // the thread has finished (guarded by mutex_)
  std::atomic<int> reconnects_{0};
  nlohmann::json copy_report_;   // what the last copy back did (guarded by mutex_)
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

}  // namespace orrery::remote
