#include "launch/process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace orrery::launch {

namespace {

std::vector<std::string> build_environment(const std::map<std::string, std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && changes.count(entry.substr(0, eq))) continue;
    env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : changes) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const SpawnOptions& o, char* const* argv, char* const* envp, const char* cwd, int error_pipe,
                             pid_t parent) {
  if (o.new_session) setsid();
  if (o.new_process_group) setpgid(0, 0);
  if (o.parent_death_signal) {
    prctl(PR_SET_PDEATHSIG, o.parent_death_signal);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  }
  int in = o.stdin_fd >= 0 ? o.stdin_fd : open("/dev/null", O_RDONLY);
  if (in >= 0 && in != 0) {
    dup2(in, 0);
    if (o.stdin_fd < 0) close(in);
  }
  if (o.stdout_fd >= 0 && o.stdout_fd != 1) dup2(o.stdout_fd, 1);
  if (o.stderr_fd >= 0 && o.stderr_fd != 2) dup2(o.stderr_fd, 2);
  // Signals ignored or blocked by the parent must not leak into the child.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP}) signal(s, SIG_DFL);
  if (cwd && chdir(cwd) != 0) {
    int err = errno;
    (void)!write(error_pipe, &err, sizeof err);
    _exit(127);
  }
  execvpe(argv[0], argv, envp);
  int err = errno;
  (void)!write(error_pipe, &err, sizeof err);
  _exit(127);
}

}  // namespace

pid_t spawn(const SpawnOptions& o) {
  if (o.argv.empty()) throw std::runtime_error("spawn: empty command");
  std::vector<std::string> args = o.argv;
  std::vector<std::string> env = build_environment(o.env_set);
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  std::string cwd = o.cwd ? o.cwd->string() : std::string();

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    exec_child(o, argv.data(), envp.data(), o.cwd ? cwd.c_str() : nullptr, fds[1], parent);
  }
  close(fds[1]);
  int err = 0;
  ssize_t n;
  do n = read(fds[0], &err, sizeof err); while (n < 0 && errno == EINTR);
  close(fds[0]);
  if (n == sizeof err) {
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot start " + o.argv[0] + ": " + std::strerror(err));
  }
  return pid;
}

pid_t spawn_detached(const SpawnOptions& o) {
  // The intermediate child starts the real process in a new session and exits,
  // so the process is re-parented to init and survives its launcher.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t mid = fork();
  if (mid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (mid == 0) {
    close(fds[0]);
    SpawnOptions inner = o;
    inner.new_session = true;
    pid_t pid = -1;
    int err = 0;
    try {
      pid = spawn(inner);
    } catch (const std::exception&) {
      err = errno ? errno : ENOENT;
    }
    struct { pid_t pid; int err; } msg{pid, err};
    (void)!write(fds[1], &msg, sizeof msg);
    _exit(0);
  }
  close(fds[1]);
  struct { pid_t pid; int err; } msg{-1, 0};
  ssize_t n;
  do n = read(fds[0], &msg, sizeof msg); while (n < 0 && errno == EINTR);
  close(fds[0]);
  waitpid(mid, nullptr, 0);
  if (n != sizeof msg || msg.pid <= 0)
    throw std::runtime_error("cannot start " + o.argv[0] + (msg.err ? std::string(": ") + std::strerror(msg.err) : ""));
  return msg.pid;
}

ExitStatus decode_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) s.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

std::string describe(const ExitStatus& s) {
  if (s.signal) {
    const char* name = strsignal(s.signal);
    return "signal " + std::to_string(s.signal) + (name ? std::string(" (") + name + ")" : "");
  }
  return "exit code " + std::to_string(s.exit_code);
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) == 0) {
    // A zombie still answers kill(); check /proc for its state.
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return true;
    buf[n] = '\0';
    const char* close_paren = std::strrchr(buf, ')');
    return !(close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z');
  }
  return errno == EPERM;
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::filesystem::current_path();
  return exe.parent_path();
}

}  // namespace orrery::launch
