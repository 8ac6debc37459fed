// Running a local program to completion with its output captured: ssh, tar and
// sha256sum calls of the remote launcher. argv only, never a shell.
#pragma once

#include "launch/process.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace orrery::remote {

struct CapturedOutput {
  launch::ExitStatus status;
  std::string out, err;
  bool timed_out = false;   // killed after the timeout
  bool cancelled = false;   // killed because the caller cancelled it
  bool success() const { return !timed_out && !cancelled && status.success(); }
};

struct CaptureOptions {
  std::string input;                        // written to the program's stdin (when stdin_fd < 0)
  int stdin_fd = -1;                        // else: the program reads this descriptor
  int stdout_fd = -1;                       // else: stdout goes there instead of being captured
  std::chrono::milliseconds timeout{60000};
  const std::atomic<bool>* cancelled = nullptr;   // when it becomes true the program is killed (checked every 20 ms)
};

inline CaptureOptions within(std::chrono::milliseconds timeout) {
  CaptureOptions o;
  o.timeout = timeout;
  return o;
}

// Throws std::runtime_error when the program cannot be started.
CapturedOutput run_captured(const std::vector<std::string>& argv, const CaptureOptions& options = {});

}  // namespace orrery::remote
