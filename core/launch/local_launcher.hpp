// Launching a run on this machine: create its folder and run.json, start a
// detached orrery-agent for it, and wait until the agent has taken over.
#pragma once

#include "runfiles/project.hpp"
#include "runfiles/run_record.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace orrery::launch {

struct InstallPaths {
  std::filesystem::path bin_dir;     // orrery-agent, orrery-rank, workers
  std::filesystem::path share_dir;   // kinds/, python/, scripts/, demo/
  // Found from the running executable: <prefix>/bin/X → <prefix>/share/orrery.
  static InstallPaths from_executable();
};

struct LaunchResult {
  std::string run_id;
  std::filesystem::path run_dir;
  runfiles::RunRecord record;        // as the agent wrote it once it took over
};

// Throws std::runtime_error with a reason a user can act on.
LaunchResult launch_local(const runfiles::Project& project, const spec::KindSchema& kind, const spec::Spec& spec,
                          const InstallPaths& paths,
                          std::chrono::milliseconds agent_start_timeout = std::chrono::seconds(15));

// The status a reader should show: a run whose agent has vanished without a
// verdict reads as "lost" (its data up to the last flush stays readable).
runfiles::RunStatus observed_status(const runfiles::RunRecord& record);

}  // namespace orrery::launch
