// Starting child processes from an argv list: never through a shell, so no
// user-supplied string is ever parsed as shell syntax.
#pragma once

#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orrery::launch {

struct SpawnOptions {
  std::vector<std::string> argv;                 // argv[0] is a path or a name looked up in PATH
  std::map<std::string, std::string> env_set;    // added to / replacing the inherited environment
  std::optional<std::filesystem::path> cwd;
  int stdin_fd = -1;                             // -1: /dev/null
  int stdout_fd = -1;                            // -1: inherit
  int stderr_fd = -1;                            // -1: inherit
  bool new_process_group = false;                // setpgid(0, 0): lets the parent signal the whole group
  bool new_session = false;                      // setsid(): detached from the terminal
  int parent_death_signal = 0;                   // prctl(PR_SET_PDEATHSIG): die with the parent
};

// Returns the child's pid; throws std::runtime_error with the reason (incl. exec failure).
pid_t spawn(const SpawnOptions& options);

// Starts a process that outlives the caller (double fork, new session), e.g. the agent.
// Returns the pid of the detached process.
pid_t spawn_detached(const SpawnOptions& options);

struct ExitStatus {
  int exit_code = 0;    // valid when signal == 0
  int signal = 0;
  bool success() const { return signal == 0 && exit_code == 0; }
};
ExitStatus decode_wait_status(int status);
std::string describe(const ExitStatus& status);   // "exit code 3", "signal 9 (Killed)"

bool process_alive(pid_t pid);
// The directory holding the running executable (for finding sibling binaries).
std::filesystem::path executable_dir();

}  // namespace orrery::launch
