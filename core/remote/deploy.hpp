// Deploying Orrery's binaries to a remote work folder: a file is sent only when
// the remote copy is missing or its SHA-256 differs, so a warm target costs one
// round trip of hashing. Each file is written to a temporary name and renamed, so
// an agent still running the old binary is not disturbed and a broken transfer
// never leaves half a binary under the real name.
#pragma once

#include "remote/ssh_connection.hpp"

#include <cstdint>
#include <filesystem>
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

// Throws SshError / std::runtime_error naming the file that could not be sent.
DeployReport deploy(const SshConnection& ssh, const std::vector<DeployFile>& files);

}  // namespace orrery::remote
