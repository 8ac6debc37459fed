// Following a live run in the terminal: a progress bar with live figures,
// fed by the agent's feed (run.json when the agent is gone), and Ctrl-C
// asking whether to cancel the run or detach from it.
#pragma once

#include "cli_common.hpp"

namespace orrery::cli {

struct FollowOptions {
  bool quiet = false;          // no progress line, only the verdict
  bool ask_on_interrupt = true;
};

// Returns the exit code for the run's outcome (kSucceeded, kFailed, kCancelled, kLost, kDetached).
int follow_run(const runfiles::Project& project, const std::string& run_id, const FollowOptions& options);

// Prints the verdict of a finished run (status, reason, failing rank and its last log lines, final figures).
void print_outcome(const runfiles::RunRecord& record);
int exit_code_for(runfiles::RunStatus status);

}  // namespace orrery::cli
