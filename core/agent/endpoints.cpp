#include "agent/endpoints.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace orrery::agent {

namespace {

constexpr std::size_t kMaxSocketPath = 100;

void private_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    throw std::runtime_error(dir.string() + " is not a folder owned by this user; refusing to listen there");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    throw std::runtime_error("cannot make " + dir.string() + " private: " + std::strerror(errno));
}

}  // namespace

Endpoints make_endpoints(const std::filesystem::path& run_dir, const std::string& run_id) {
  Endpoints e;
  e.dir = run_dir / "agent";
  if ((e.dir / "telemetry.sock").string().size() > kMaxSocketPath) {
    auto base = std::filesystem::path("/tmp") / ("orrery-" + std::to_string(::geteuid()));
    private_dir(base);
    e.dir = base / (std::to_string(std::hash<std::string>{}(run_dir.string() + run_id) & 0xffffffffffu));
  }
  private_dir(e.dir);
  e.telemetry = "ipc://" + (e.dir / "telemetry.sock").string();
  e.feed = "ipc://" + (e.dir / "feed.sock").string();
  e.control = "ipc://" + (e.dir / "control.sock").string();
  e.commands = "ipc://" + (e.dir / "commands.sock").string();
  return e;
}

}  // namespace orrery::agent
