// orrery: with no subcommand it opens the workbench window on the project;
// its subcommands are the command-line face of the same core, with no window.
#include "commands.hpp"

#include <iostream>

int main(int argc, char** argv) {
  using namespace orrery::cli;
  CLI::App app{"Orrery: launch, follow and inspect distributed training, inference and simulation runs"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "orrery " ORRERY_VERSION);
  app.footer(
      "Exit codes: 0 run succeeded / command done, 1 run failed or error, 2 bad arguments or invalid spec,\n"
      "3 run cancelled, 4 run lost (its agent vanished), 5 detached from a run that goes on.\n"
      "The project is --project DIR, else $ORRERY_PROJECT, else the nearest folder upward holding orrery.json.");
  Globals globals;
  globals.argc = &argc;
  globals.argv = argv;
  app.add_option("--project,-p", globals.project_dir, "Project folder (holds orrery.json and runs/)");
  int result = kSucceeded;
  add_run_command(app, globals, result);
  add_attach_command(app, globals, result);
  add_ls_command(app, globals, result);
  add_show_command(app, globals, result);
  add_cancel_command(app, globals, result);
  add_export_command(app, globals, result);
  add_validate_command(app, globals, result);
  add_kinds_command(app, globals, result);
  add_demo_command(app, globals, result);
  add_checkpoint_command(app, globals, result);
  add_prompt_command(app, globals, result);
  add_gui_command(app, globals, result);
  add_logs_command(app, globals, result);
  add_report_command(app, globals, result);
  add_targets_command(app, globals, result);
  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) return open_workbench(globals, {});
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  } catch (const std::exception& e) {
    std::cerr << "orrery: " << e.what() << "\n";
    return kFailed;
  }
  return result;
}
