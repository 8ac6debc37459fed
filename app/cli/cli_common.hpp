// What every subcommand of the orrery CLI shares: finding the project and the
// job kinds, and formatting times for a terminal.
#pragma once

#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_catalog.hpp"

#include <optional>
#include <string>

namespace orrery::cli {

// Exit codes, stable for scripts (documented in `orrery --help`).
enum ExitCode : int {
  kSucceeded = 0,
  kFailed = 1,       // the run failed, or the command could not do its work
  kUsage = 2,        // bad arguments or an invalid spec
  kCancelled = 3,
  kLost = 4,
  kDetached = 5,     // stopped following; the run goes on
};

struct Globals {
  std::optional<std::string> project_dir;
  // The process's arguments, for subcommands that start the Qt application.
  int* argc = nullptr;
  char** argv = nullptr;
};

runfiles::Project open_project(const Globals& g, bool create_if_missing = false);
spec::KindCatalog load_kinds(const launch::InstallPaths& paths, const runfiles::Project* project, bool report_problems);

std::string format_duration(double seconds);
std::string format_clock(double epoch_seconds);   // local "YYYY-MM-DD HH:MM:SS"
std::string format_count(double n);               // 1.2k, 3.4M
std::string format_value(double v);               // compact, 4-5 significant digits
double run_duration(const runfiles::RunRecord& r);

}  // namespace orrery::cli
