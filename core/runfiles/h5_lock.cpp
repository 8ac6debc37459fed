// The writer lock of run.h5 (RunH5Lock, declared in run_h5_writer.hpp): an OFD byte lock.
#include "runfiles/run_h5_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace orrery::runfiles {

RunH5Lock::RunH5Lock(const std::filesystem::path& path, Mode mode) : mode_(mode) {
  int flags = mode == Mode::Exclusive ? O_RDWR | O_CREAT : O_RDONLY;
  fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd_ < 0) throw RunFileError("cannot open '" + path.string() + "' for locking: " + std::strerror(errno));
}

RunH5Lock::~RunH5Lock() {
  if (fd_ >= 0) ::close(fd_);  // also drops the lock
}

RunH5Lock::RunH5Lock(RunH5Lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), mode_(other.mode_), held_(std::exchange(other.held_, false)) {}

RunH5Lock& RunH5Lock::operator=(RunH5Lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    mode_ = other.mode_;
    held_ = std::exchange(other.held_, false);
  }
  return *this;
}

bool RunH5Lock::acquire(std::chrono::milliseconds wait) {
  if (held_) return true;
  struct flock fl {};
  fl.l_type = mode_ == Mode::Exclusive ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    if (::fcntl(fd_, F_OFD_SETLK, &fl) == 0) {
      held_ = true;
      return true;
    }
    // Anything but "someone else holds it" means no usable locks here (EINVAL: kernel
    // without OFD locks, ENOLCK: a file system without locks): go on without.
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
}

void RunH5Lock::release() noexcept {
  if (!held_) return;
  struct flock fl {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  ::fcntl(fd_, F_OFD_SETLK, &fl);
  held_ = false;
}

}  // namespace orrery::runfiles
