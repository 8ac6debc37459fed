// Deleting a run the safe way: its folder is moved to <project>/trash/<id>
// (or <id>-1, <id>-2... when that name is taken), never removed recursively.
// The id is checked (run_path), the folder must be a real directory directly in
// runs/ (not a symbolic link to somewhere else), and the move is one rename().
#pragma once

#include "runfiles/project.hpp"

#include <filesystem>
#include <string_view>

namespace orrery::runfiles {

std::filesystem::path trash_dir(const Project& project);

// Moves runs/<id> into the trash and returns where it went. Throws ProjectError with a
// reason a user can act on: invalid id, no such run, a symbolic link or a non-directory,
// a folder that resolves outside runs/, or a rename that failed. Does not look at the
// run's status: refusing live runs is the caller's decision (it knows the agent).
std::filesystem::path move_run_to_trash(const Project& project, std::string_view run_id);

}  // namespace orrery::runfiles
