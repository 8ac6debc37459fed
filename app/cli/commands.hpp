// Each subcommand registers itself on the CLI11 app; its callback stores the exit code in `result`.
#pragma once

#include "cli_common.hpp"

#include <CLI/CLI.hpp>

namespace orrery::cli {

void add_run_command(CLI::App& app, Globals& g, int& result);
void add_validate_command(CLI::App& app, Globals& g, int& result);
void add_attach_command(CLI::App& app, Globals& g, int& result);
void add_ls_command(CLI::App& app, Globals& g, int& result);
void add_show_command(CLI::App& app, Globals& g, int& result);
void add_cancel_command(CLI::App& app, Globals& g, int& result);
void add_export_command(CLI::App& app, Globals& g, int& result);
void add_kinds_command(CLI::App& app, Globals& g, int& result);
void add_demo_command(CLI::App& app, Globals& g, int& result);
void add_checkpoint_command(CLI::App& app, Globals& g, int& result);
void add_prompt_command(CLI::App& app, Globals& g, int& result);
void add_gui_command(CLI::App& app, Globals& g, int& result);
void add_logs_command(CLI::App& app, Globals& g, int& result);
void add_report_command(CLI::App& app, Globals& g, int& result);
void add_targets_command(CLI::App& app, Globals& g, int& result);

// Opens the workbench on the project of g (exit code of the event loop; kUsage without a display).
int open_workbench(Globals& g, const std::vector<std::string>& runs_to_show);

}  // namespace orrery::cli
