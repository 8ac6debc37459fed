// orrery gui [DIR] (and orrery with no subcommand): the workbench window on a project.
#include "commands.hpp"

#include "common/display.hpp"
#include "workbench/workbench_app.hpp"

#include <iostream>

namespace orrery::cli {

int open_workbench(Globals& g, const std::vector<std::string>& runs_to_show) {
  if (!panels::display_available()) {
    std::cerr << "orrery: no display to open the workbench on (DISPLAY is unset).\n"
                 "Use a subcommand in the terminal (orrery --help), or QT_QPA_PLATFORM=offscreen to render without one.\n";
    return kUsage;
  }
  const runfiles::Project project = open_project(g, /*create_if_missing=*/g.project_dir.has_value());
  QStringList runs;
  for (const auto& id : runs_to_show) runs << QString::fromStdString(id);
  return workbench::run_workbench(*g.argc, g.argv, project, launch::InstallPaths::from_executable(), runs);
}

void add_gui_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("gui", "Open the workbench window on a project (the default with no subcommand)");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Project folder (created when absent); default: --project or the nearest project");
  cmd->callback([&g, &result, dir] {
    if (!dir->empty()) g.project_dir = *dir;
    result = open_workbench(g, {});
  });
}

}  // namespace orrery::cli
