// One SSH target reached through the system's OpenSSH client (so ~/.ssh/config,
// agents, ProxyJump and known_hosts work as users expect), always as an argv list.
// A control master multiplexes every call over one authenticated connection; host
// keys are checked for real: an unknown key fails with a clear message unless the
// caller chose to accept new keys (StrictHostKeyChecking=accept-new), and a changed
// key always fails.
#pragma once

#include "remote/captured_command.hpp"
#include "remote/target.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace orrery::remote {

class SshError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The host's key is not in known_hosts (and new keys are not accepted): a person may check
// its fingerprint and trust it (host_keys.hpp).
class UnknownHostKeyError : public SshError {
  using SshError::SshError;
};

struct SshOptions {
  static SshOptions accepting_new_keys(bool accept) {
    SshOptions o;
    o.accept_new_host_key = accept;
    return o;
  }
  bool accept_new_host_key = false;
  // Where control sockets (and forwarded feed sockets) live; empty: $XDG_RUNTIME_DIR/orrery-ssh,
  // else /tmp/orrery-<uid>/ssh. Created private (0700).
  std::filesystem::path socket_dir;
  std::chrono::milliseconds call_timeout{60000};
  // When it becomes true, the ssh call under way is killed (a GUI's Cancel); it must outlive the connection.
  const std::atomic<bool>* cancelled = nullptr;
};

class SshConnection {
 public:
  SshConnection(SshTarget target, SshOptions options = {});

  // Starts the control master unless one is already running (a warm connection).
  // Throws SshError saying what failed: unknown or changed host key, authentication, reachability.
  void open();
  bool master_running() const;           // ssh -O check
  std::optional<int> master_pid() const;  // from ssh -O check
  void close();                           // ssh -O exit

  // Runs argv on the remote side; each word is quoted for the remote shell.
  CapturedOutput run(const std::vector<std::string>& argv, const CaptureOptions& options = {}) const;
  // Runs a remote shell command line that the caller assembled from shell_quote()d words.
  CapturedOutput run_script(const std::string& script, const CaptureOptions& options = {}) const;
  // Forwards local unix sockets to remote ones through the master: one `ssh -O forward` with
  // a -L per pair (one round trip for a run's feed and control sockets).
  using SocketForward = std::pair<std::filesystem::path, std::string>;   // local, remote
  void forward_sockets(const std::vector<SocketForward>& forwards) const;
  void forward_socket(const std::filesystem::path& local, const std::string& remote) const {
    forward_sockets({{local, remote}});
  }

  const SshTarget& target() const { return target_; }
  const std::filesystem::path& socket_dir() const { return socket_dir_; }
  std::string describe() const;           // user@host:port

 private:
  std::vector<std::string> base_argv() const;
  SshTarget target_;
  SshOptions options_;
  std::filesystem::path socket_dir_, control_path_;
};

// Creates dir (and its parent) as a folder only this user can enter; throws when it belongs to someone else.
void make_private_dir(const std::filesystem::path& dir);

}  // namespace orrery::remote
