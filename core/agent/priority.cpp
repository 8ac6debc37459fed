#include "agent/priority.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace orrery::agent {

bool set_process_nice(int nice, std::string* why) {
  std::error_code ec;
  bool ok = true;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const std::string name = task.path().filename().string();
    char* end = nullptr;
    const long tid = std::strtol(name.c_str(), &end, 10);
    if (!end || *end != '\0' || tid <= 0) continue;
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0) {
      if (why && ok) *why = std::string("setpriority(") + std::to_string(nice) + "): " + std::strerror(errno);
      ok = false;
    }
  }
  if (ec) {
    if (why) *why = "cannot list /proc/self/task: " + ec.message();
    return false;
  }
  return ok;
}

}  // namespace orrery::agent
