// Deploying Orrery's binaries to a remote work folder: a file is sent only when
// the remote copy is missing or its SHA-256 differs, so a warm target costs one
// round trip of hashing. Each file is written to a temporary name and renamed, so
// an agent still running the old binary is not disturbed and a broken transfer
// never leaves half a binary under the real name.
#pragma once

#include "remote/ssh_connection.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace orrery::remote {

struct DeployFile {
  std::filesystem::path local;
  std::string remote;   // absolute path on the remote side
};

struct DeployReport {
  std::size_t checked = 0, sent = 0;
  std::uint64_t bytes_sent = 0;
};

// SHA-256 of local files (sha256sum), in order; throws std::runtime_error.
std::vector<std::string> local_sha256(const std::vector<std::filesystem::path>& files);

// sha256sum's output as path -> hex digest. A path with a backslash or newline is escaped by
// sha256sum (its line starts with '\'): such a file is left out, so it reads as not matching.
std::map<std::string, std::string> parse_sha256sum(const std::string& text);

// How a deploy goes, for a progress line: `sending` before a file is sent (it may take a while),
// then once each file has been checked (and sent when it had to be).
struct DeployProgress {
  std::size_t checked = 0, total = 0, sent = 0;
  std::string file;   // the file's name (no folder)
  bool sending = false;
};
using DeployProgressFn = std::function<void(const DeployProgress&)>;

// Throws SshError / std::runtime_error naming the file that could not be sent.
// progress (optional) is called on this thread as the files are checked and sent.
DeployReport deploy(const SshConnection& ssh, const std::vector<DeployFile>& files, const DeployProgressFn& progress = {});

// deploy() once both sides' hashes are known (local_sha256, and the remote ones from a call that
// hashed them already, e.g. the ssh launch's own script): sends files[i] unless remote[i] == local[i]
// (an empty remote hash: missing). Throws as deploy().
DeployReport send_changed(const SshConnection& ssh, const std::vector<DeployFile>& files, const std::vector<std::string>& local,
                          const std::vector<std::string>& remote, const DeployProgressFn& progress = {});

}  // namespace orrery::remote
