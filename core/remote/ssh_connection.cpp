#include "remote/ssh_connection.hpp"

#include "remote/shell_quote.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace orrery::remote {

namespace {

// The last non-empty lines of ssh's stderr, for a message.
std::string tail_lines(const std::string& text, std::size_t count) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') { if (!line.empty()) lines.push_back(line); line.clear(); }
    else if (c != '\r') line += c;
  }
  if (!line.empty()) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
    out += (out.empty() ? "" : "\n  ") + lines[i];
  return out;
}

std::filesystem::path default_socket_dir() {
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg && std::filesystem::is_directory(xdg))
    return std::filesystem::path(xdg) / "orrery-ssh";
  return std::filesystem::path("/tmp") / ("orrery-" + std::to_string(::geteuid())) / "ssh";
}

}  // namespace

void make_private_dir(const std::filesystem::path& dir) {
  for (const auto& d : {dir.parent_path(), dir}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST)
      throw SshError("cannot create " + d.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    throw SshError(dir.string() + " is not a folder owned by this user; refusing to keep ssh sockets there");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    throw SshError("cannot make " + dir.string() + " private: " + std::strerror(errno));
}

SshConnection::SshConnection(SshTarget target, SshOptions options)
    : target_(std::move(target)), options_(std::move(options)) {
  if (!valid_host(target_.host)) throw SshError("invalid host name \"" + target_.host + "\"");
  if (!target_.user.empty() && !valid_user(target_.user)) throw SshError("invalid user name \"" + target_.user + "\"");
  socket_dir_ = options_.socket_dir.empty() ? default_socket_dir() : options_.socket_dir;
  // One master per (user, host, port, identity); a short name keeps the socket path under ~107 bytes.
  char name[32];
  std::snprintf(name, sizeof name, "cm-%012zx",
                std::hash<std::string>{}(target_.user + "@" + target_.host + ":" + std::to_string(target_.port) + " " +
                                         target_.identity_file + " " + target_.known_hosts_file) & 0xffffffffffffu);
  control_path_ = socket_dir_ / name;
}

std::string SshConnection::describe() const {
  return (target_.user.empty() ? "" : target_.user + "@") + target_.host +
         (target_.port ? ":" + std::to_string(target_.port) : "");
}

std::vector<std::string> SshConnection::base_argv() const {
  std::vector<std::string> a = {
      "ssh", "-o", "BatchMode=yes",   // never prompt: a password or passphrase prompt would hang a GUI or a script
      "-o", std::string("StrictHostKeyChecking=") + (options_.accept_new_host_key ? "accept-new" : "yes"),
      "-o", "ControlPath=" + control_path_.string(), "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
      "-o", "ServerAliveCountMax=3", "-o", "StreamLocalBindUnlink=yes", "-o", "LogLevel=ERROR"};
  if (!target_.known_hosts_file.empty()) {
    a.push_back("-o");
    a.push_back("UserKnownHostsFile=" + target_.known_hosts_file);
  }
  if (!target_.identity_file.empty()) {
    a.insert(a.end(), {"-i", target_.identity_file, "-o", "IdentitiesOnly=yes"});
  }
  if (target_.port) a.insert(a.end(), {"-p", std::to_string(target_.port)});
  if (!target_.user.empty()) a.insert(a.end(), {"-l", target_.user});
  return a;
}

void SshConnection::open() {
  make_private_dir(socket_dir_);
  if (master_running()) return;
  std::error_code ec;
  std::filesystem::remove(control_path_, ec);   // a master killed hard leaves its socket behind
  auto argv = base_argv();
  // -f: the master goes to the background once authenticated; its exit status says whether that worked.
  argv.insert(argv.end(), {"-M", "-N", "-f", "-o", "ControlPersist=" + std::to_string(target_.control_persist_s) + "s",
                           "--", target_.host});
  auto o = within(options_.call_timeout);
  o.cancelled = options_.cancelled;
  auto r = run_captured(argv, o);
  if (r.success()) return;
  if (r.cancelled) throw SshError("connecting to " + describe() + " was cancelled");
  const std::string& e = r.err;
  std::string known = target_.known_hosts_file.empty() ? std::string("~/.ssh/known_hosts") : target_.known_hosts_file;
  if (e.find("REMOTE HOST IDENTIFICATION HAS CHANGED") != std::string::npos)
    throw SshError("the host key of " + describe() + " has CHANGED since it was recorded in " + known +
                   "; refusing to connect (someone may be intercepting the connection, or the host was reinstalled: "
                   "check with its administrator, then update " + known + ")");
  if (e.find("Host key verification failed") != std::string::npos || e.find("host key is known") != std::string::npos)
    throw UnknownHostKeyError("the host key of " + describe() + " is not known (not in " + known +
                   "); refusing to connect. Check the key's fingerprint with the host's administrator and add it "
                   "(ssh-keyscan, or one interactive ssh login), or trust it on first use with --accept-new-host-key");
  if (e.find("Permission denied") != std::string::npos)
    throw SshError("authentication to " + describe() + " failed (key-only, no password prompts; identity: " +
                   (target_.identity_file.empty() ? std::string("ssh agent / ssh config") : target_.identity_file) +
                   "): " + tail_lines(e, 2));
  if (r.timed_out) throw SshError("connecting to " + describe() + " timed out");
  throw SshError("cannot connect to " + describe() + " (ssh " + launch::describe(r.status) + "): " + tail_lines(e, 3));
}

bool SshConnection::master_running() const { return master_pid().has_value(); }

std::optional<int> SshConnection::master_pid() const {
  if (!std::filesystem::exists(control_path_)) return std::nullopt;
  auto argv = base_argv();
  argv.insert(argv.end(), {"-O", "check", "--", target_.host});
  auto r = run_captured(argv, within(std::chrono::seconds(10)));
  auto at = r.err.find("pid=");
  if (!r.success() || at == std::string::npos) return std::nullopt;
  return std::atoi(r.err.c_str() + at + 4);
}

void SshConnection::close() {
  if (!std::filesystem::exists(control_path_)) return;
  auto argv = base_argv();
  argv.insert(argv.end(), {"-O", "exit", "--", target_.host});
  run_captured(argv, within(std::chrono::seconds(10)));
}

CapturedOutput SshConnection::run(const std::vector<std::string>& argv, const CaptureOptions& options) const {
  return run_script(shell_command(argv), options);
}

CapturedOutput SshConnection::run_script(const std::string& script, const CaptureOptions& options) const {
  auto argv = base_argv();
  // ControlMaster=no: use the master when it is there, else a connection of its own (never a second master).
  argv.insert(argv.end(), {"-o", "ControlMaster=no", "-T", "--", target_.host, script});
  CaptureOptions o = options;
  if (o.timeout == CaptureOptions{}.timeout) o.timeout = options_.call_timeout;
  if (!o.cancelled) o.cancelled = options_.cancelled;
  return run_captured(argv, o);
}

void SshConnection::forward_sockets(const std::vector<SocketForward>& forwards) const {
  if (forwards.empty()) return;
  auto argv = base_argv();
  argv.insert(argv.end(), {"-O", "forward"});
  std::string what;
  for (const auto& [local, remote] : forwards) {
    // ssh splits a forwarding spec at ':'.
    if (remote.find(':') != std::string::npos || local.string().find(':') != std::string::npos)
      throw SshError("cannot forward a socket whose path holds ':' (" + remote + "); choose a work_dir without ':'");
    std::error_code ec;
    std::filesystem::remove(local, ec);
    argv.insert(argv.end(), {"-L", local.string() + ":" + remote});
    what += (what.empty() ? "" : ", ") + local.string() + " to " + describe() + ":" + remote;
  }
  argv.insert(argv.end(), {"--", target_.host});
  auto r = run_captured(argv, within(std::chrono::seconds(10)));
  if (!r.success()) throw SshError("cannot forward " + what + ": " + tail_lines(r.err, 2));
}

}  // namespace orrery::remote
