// orrery cancel / export / kinds
#include "commands.hpp"
#include "follow.hpp"

#include "feed/feed_client.hpp"
#include "runfiles/csv_export.hpp"
#include "runfiles/run_h5_reader.hpp"

#include <iostream>
#include <thread>

namespace orrery::cli {

void add_cancel_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("cancel", "Stop a run gracefully (SIGTERM to the ranks, SIGKILL after a grace period)");
  auto run = std::make_shared<std::string>();
  auto no_wait = std::make_shared<bool>(false);
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_flag("--no-wait", *no_wait, "Return once the agent has the request");
  cmd->callback([&g, &result, run, no_wait] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    auto dir = runfiles::run_path(project, id);
    auto r = runfiles::read_run_record(dir);
    auto status = launch::observed_status(r);
    if (runfiles::is_final(status)) {
      std::cout << "run " << id << " is already " << runfiles::to_string(status) << "\n";
      result = kSucceeded;
      return;
    }
    auto reply = feed::control_request(r, {{"cmd", "cancel"}});
    if (!reply || !reply->value("ok", false)) {
      std::cerr << "orrery: the agent of run " << id << " did not accept the cancel request"
                << (reply ? ": " + reply->value("error", std::string()) : std::string(" (no answer)")) << "\n";
      result = kFailed;
      return;
    }
    std::cout << "cancel requested for run " << id << "\n";
    if (*no_wait) { result = kSucceeded; return; }
    for (int i = 0; i < 300; ++i) {   // grace period + margin
      r = runfiles::read_run_record(dir);
      if (runfiles::is_final(launch::observed_status(r))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    print_outcome(r);
    result = runfiles::is_final(launch::observed_status(r)) ? kSucceeded : kFailed;
  });
}

void add_export_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("export", "Export a run's data");
  auto run = std::make_shared<std::string>();
  auto csv_dir = std::make_shared<std::string>();
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_option("--csv", *csv_dir, "Write every series as CSV (one file per series) under this folder")->required();
  cmd->callback([&g, &result, run, csv_dir] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    runfiles::RunH5Reader reader(runfiles::run_path(project, id) / "run.h5");
    auto files = runfiles::export_csv(reader, *csv_dir);
    std::cout << "wrote " << files.size() << " CSV files under " << *csv_dir << "\n";
    result = kSucceeded;
  });
}

void add_kinds_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("kinds", "List the job kinds and their parameters");
  cmd->callback([&g, &result] {
    std::optional<runfiles::Project> project;
    try { project = open_project(g, false); } catch (const std::exception&) {}
    auto kinds = load_kinds(launch::InstallPaths::from_executable(), project ? &*project : nullptr, true);
    for (const auto& k : kinds.kinds()) {
      std::cout << k.name << " — " << k.title << " (ranks " << k.min_ranks << ".." << k.max_ranks << ", default "
                << k.default_ranks << ")\n";
      for (const auto& p : k.params)
        std::cout << "    " << p.name << " = " << (p.required() ? std::string("(required)") : p.default_value.dump()) << (p.unit.empty() ? "" : " " + p.unit) << "   "
                  << p.help << "\n";
    }
    result = kSucceeded;
  });
}

}  // namespace orrery::cli
