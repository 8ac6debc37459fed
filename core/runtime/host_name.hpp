// This machine's name, as the agent and the ranks report it (they compare it
// to decide whether a pid they were given is on the same host).
#pragma once

#include <unistd.h>

#include <string>

namespace orrery::runtime {

inline std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace orrery::runtime
