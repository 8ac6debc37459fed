#include "runfiles/trash.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace orrery::runfiles {

namespace fs = std::filesystem;

fs::path trash_dir(const Project& project) { return project.root / "trash"; }

fs::path move_run_to_trash(const Project& project, std::string_view run_id) {
  const fs::path from = run_path(project, run_id);   // throws on an invalid id
  std::error_code ec;
  const auto status = fs::symlink_status(from, ec);
  if (ec || !fs::exists(status)) throw ProjectError("no run " + std::string(run_id) + " in " + project.runs_dir().string());
  if (fs::is_symlink(status))
    throw ProjectError("runs/" + std::string(run_id) + " is a symbolic link; not moving it (remove the link by hand)");
  if (!fs::is_directory(status)) throw ProjectError("runs/" + std::string(run_id) + " is not a folder");
  // The folder's real parent must be the project's real runs/ (runs/ itself could be a link).
  const fs::path runs = fs::canonical(project.runs_dir(), ec);
  if (ec) throw ProjectError("cannot resolve " + project.runs_dir().string() + ": " + ec.message());
  const fs::path real = fs::canonical(from, ec);
  if (ec || real.parent_path() != runs)
    throw ProjectError("runs/" + std::string(run_id) + " does not resolve inside " + project.runs_dir().string());

  const fs::path trash = trash_dir(project);
  const auto trash_status = fs::symlink_status(trash, ec);
  if (fs::is_symlink(trash_status)) throw ProjectError(trash.string() + " is a symbolic link; not moving runs into it");
  fs::create_directories(trash, ec);
  if (ec) throw ProjectError("cannot create " + trash.string() + ": " + ec.message());

  for (int n = 0; n < 10000; ++n) {
    fs::path to = trash / (n == 0 ? std::string(run_id) : std::string(run_id) + "-" + std::to_string(n));
    if (fs::exists(fs::symlink_status(to, ec))) continue;
    // renameat2(RENAME_NOREPLACE) would close the race with another process taking the
    // name between the check and the rename; a rename onto an existing empty folder is
    // refused by the kernel for a non-empty source anyway, and the trash is ours.
    if (std::rename(from.c_str(), to.c_str()) == 0) return to;
    if (errno == EEXIST || errno == ENOTEMPTY) continue;
    throw ProjectError("cannot move " + from.string() + " to " + to.string() + ": " + std::strerror(errno));
  }
  throw ProjectError("the trash holds too many copies of " + std::string(run_id));
}

}  // namespace orrery::runfiles
