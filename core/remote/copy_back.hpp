// Copying a remote run's folder back to the project, resumably. Each file is compared by
// SHA-256 first (an unchanged file is not sent again); a file to fetch grows in
// "<name>.part" beside its place, from where an earlier try stopped (`tail -c +N` on the
// remote side, appended here), and is renamed into place only when its digest matches the
// remote one. A try cut short (connection lost, orrery stopped, a detached run attached
// later) leaves the .part files for the next try; a .part that does not match (longer than
// the remote file, or a different beginning) is fetched again from the start.
#pragma once

#include "remote/ssh_connection.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace orrery::remote {

struct CopyBackReport {
  int files = 0;                   // files in the remote folder
  int unchanged = 0;               // already here with the same digest
  int resumed = 0;                 // continued from a .part file of an earlier try
  std::uint64_t bytes = 0;         // bytes that came over the connection
  std::uint64_t total_bytes = 0;   // size of the whole remote folder
  std::vector<std::string> refused;   // remote names that could climb out of the run folder or hold control characters
};

// Throws SshError / std::runtime_error when a try fails; calling it again resumes.
CopyBackReport copy_back_resumable(const SshConnection& ssh, const std::string& remote_run_dir,
                                   const std::filesystem::path& local_run_dir);

// A relative path from the remote side that stays inside the folder: not empty, not absolute,
// no "." or ".." component, no control characters or backslashes.
bool safe_relative_name(const std::string& name);

}  // namespace orrery::remote
