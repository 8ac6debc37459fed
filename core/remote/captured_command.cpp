#include "remote/captured_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace orrery::remote {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() { close_read(); close_write(); }
  void close_read() { if (read >= 0) ::close(read); read = -1; }
  void close_write() { if (write >= 0) ::close(write); write = -1; }
};

// Appends what is readable now; false at end of file or on error.
bool read_some(int fd, std::string& into) {
  char buf[16384];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) { into.append(buf, static_cast<std::size_t>(n)); return true; }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

}  // namespace

CapturedOutput run_captured(const std::vector<std::string>& argv, const CaptureOptions& options) {
  Pipe out, err, in;
  launch::SpawnOptions s;
  s.argv = argv;
  s.stdin_fd = options.stdin_fd >= 0 ? options.stdin_fd : in.read;
  s.stdout_fd = options.stdout_fd >= 0 ? options.stdout_fd : out.write;
  s.stderr_fd = err.write;
  pid_t pid = launch::spawn(s);
  in.close_read();
  out.close_write();
  err.close_write();
  if (options.stdout_fd >= 0) out.close_read();
  if (options.stdin_fd >= 0 || options.input.empty()) in.close_write();
  if (in.write >= 0) ::fcntl(in.write, F_SETFL, O_NONBLOCK);

  // A program that exits without reading its input must not kill us with SIGPIPE:
  // blocked in this thread while we write, and a pending one is consumed after.
  sigset_t pipe_only, old_mask;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);

  CapturedOutput result;
  std::size_t written = 0;
  const auto deadline = Clock::now() + options.timeout;
  std::optional<Clock::time_point> exited_at;
  int wait_status = 0;
  // The loop ends when the program has exited and its pipes are closed, or 200 ms
  // after its exit when something it left behind (an ssh control master) holds them.
  while (out.read >= 0 || err.read >= 0 || !exited_at) {
    if (!exited_at && ::waitpid(pid, &wait_status, WNOHANG) == pid) exited_at = Clock::now();
    auto now = Clock::now();
    if (exited_at && now - *exited_at > std::chrono::milliseconds(200)) break;
    const bool cancel = options.cancelled && options.cancelled->load();
    if (!exited_at && (now > deadline || cancel)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &wait_status, 0);
      exited_at = now;
      (cancel ? result.cancelled : result.timed_out) = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out.read >= 0) { out_i = n; fds[n++] = {out.read, POLLIN, 0}; }
    if (err.read >= 0) { err_i = n; fds[n++] = {err.read, POLLIN, 0}; }
    if (in.write >= 0) { in_i = n; fds[n++] = {in.write, POLLOUT, 0}; }
    ::poll(fds, static_cast<nfds_t>(n), 20);
    if (out_i >= 0 && fds[out_i].revents && !read_some(out.read, result.out)) out.close_read();
    if (err_i >= 0 && fds[err_i].revents && !read_some(err.read, result.err)) err.close_read();
    if (in_i >= 0 && fds[in_i].revents) {
      ssize_t w = ::write(in.write, options.input.data() + written, options.input.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == options.input.size()) in.close_write();
    }
  }
  if (!exited_at) ::waitpid(pid, &wait_status, 0);
  const timespec no_wait{0, 0};
  while (::sigtimedwait(&pipe_only, nullptr, &no_wait) == SIGPIPE) {
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  result.status = launch::decode_wait_status(wait_status);
  return result;
}

}  // namespace orrery::remote
