// Where an agent listens. ZeroMQ ipc:// sockets in a folder only the user can
// enter: that is what makes the control endpoint reachable only by the same
// user on the same machine. Unix socket paths are limited to ~107 bytes, so a
// deep run folder falls back to a private folder under /tmp.
#pragma once

#include <filesystem>
#include <string>

namespace orrery::agent {

struct Endpoints {
  std::filesystem::path dir;
  std::string telemetry, feed, control;
  std::string commands;  // agent → ranks (PUB/SUB): requests such as checkpoint-now
};

// Creates the folder (mode 0700, owned by us) and returns the endpoints; throws std::runtime_error.
Endpoints make_endpoints(const std::filesystem::path& run_dir, const std::string& run_id);

}  // namespace orrery::agent
