// orrery cancel / checkpoint / export (CSV, and charts as PNG/SVG/PDF) / kinds
#include "commands.hpp"
#include "event_waiter.hpp"
#include "follow.hpp"
#include "slurm_run.hpp"

#include "charts/plot_export.hpp"
#include "feed/feed_client.hpp"
#include "runfiles/csv_export.hpp"
#include "runfiles/run_h5_reader.hpp"

#include <QApplication>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace orrery::cli {

namespace {

// Sends {"cmd": command} to the run's agent; false (and why, on stderr) when it is not accepted.
bool ask_agent(const runfiles::RunRecord& r, const std::string& id, const std::string& command) {
  auto reply = feed::control_request(r, {{"cmd", command}});
  if (reply && reply->value("ok", false)) return true;
  std::cerr << "orrery: the agent of run " << id << " did not accept the " << command << " request"
            << (reply ? ": " + reply->value("error", std::string()) : std::string(" (no answer)")) << "\n";
  return false;
}

}  // namespace

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
    if (r.scheduler == "slurm") {   // queued or running in Slurm: scancel, whichever it is
      result = cancel_slurm_run(project, id, !*no_wait);
      return;
    }
    if (!ask_agent(r, id, "cancel")) {
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

void add_checkpoint_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("checkpoint",
                                 "Ask a live run for a checkpoint now (workers that poll for it save at their next step)");
  auto run = std::make_shared<std::string>();
  auto wait_s = std::make_shared<double>(0.0);
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_option("--wait", *wait_s, "Wait up to this many seconds for the checkpoint and print its path")
      ->check(CLI::PositiveNumber);
  cmd->callback([&g, &result, run, wait_s] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    auto r = runfiles::read_run_record(runfiles::run_path(project, id));
    if (runfiles::is_final(launch::observed_status(r))) {
      std::cerr << "orrery: run " << id << " is " << runfiles::to_string(launch::observed_status(r)) << "; nothing to checkpoint\n";
      result = kFailed;
      return;
    }
    const auto deadline = EventWaiter::Clock::now() + std::chrono::duration_cast<EventWaiter::Clock::duration>(
                                                          std::chrono::duration<double>(*wait_s));
    std::unique_ptr<EventWaiter> waiter;
    if (*wait_s > 0) waiter = std::make_unique<EventWaiter>(r, deadline);
    if (!ask_agent(r, id, "checkpoint")) {
      result = kFailed;
      return;
    }
    std::cout << "checkpoint requested for run " << id << "\n";
    if (!waiter) {
      result = kSucceeded;
      return;
    }
    // The first checkpoint saved after the request holds the state at or after it.
    std::string saved, ended;
    const auto outcome = waiter->wait(
        [&](const telemetry::EventItem& e) {
          if (e.kind != "checkpoint.saved") return false;
          saved = e.text;
          return true;
        },
        ended);
    if (outcome == EventWaiter::Outcome::kAnswered) {
      std::cout << "checkpoint saved: " << saved << "\n";
      result = kSucceeded;
      return;
    }
    if (outcome == EventWaiter::Outcome::kRunEnded) {
      std::cerr << "orrery: run " << id << " ended (" << ended << ") before saving a checkpoint\n";
      result = kFailed;
      return;
    }
    std::cerr << "orrery: no checkpoint from run " << id << " within " << *wait_s << " s\n";
    result = kFailed;
  });
}

void add_export_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand(
      "export", "Export a run's data (CSV) or a chart of one of its metrics (PNG/SVG/PDF), several runs overlaid");
  auto runs = std::make_shared<std::vector<std::string>>();
  auto csv_dir = std::make_shared<std::string>();
  auto plot = std::make_shared<std::string>();
  auto pictures = std::make_shared<std::vector<std::string>>(3);  // png, svg, pdf
  auto x_axis = std::make_shared<std::string>("step");
  auto log_y = std::make_shared<bool>(false);
  auto per_rank = std::make_shared<bool>(false);
  auto smoothing = std::make_shared<double>(0.0);
  cmd->add_option("RUN", *runs, "Run id, unique id prefix, or run name; with --plot, several runs share the chart")
      ->required()
      ->expected(1, -1);
  auto* csv_opt = cmd->add_option("--csv", *csv_dir, "Write every series as CSV (one file per series) under this folder");
  auto* plot_opt = cmd->add_option("--plot", *plot, "Draw the chart of this metric (with --png, --svg and/or --pdf)");
  cmd->add_option("--png", (*pictures)[0], "Chart as PNG to this file")->needs(plot_opt);
  cmd->add_option("--svg", (*pictures)[1], "Chart as SVG to this file")->needs(plot_opt);
  cmd->add_option("--pdf", (*pictures)[2], "Chart as PDF to this file")->needs(plot_opt);
  cmd->add_option("--x", *x_axis, "Chart x axis")->check(CLI::IsMember({"step", "wall", "relative"}))->capture_default_str();
  cmd->add_flag("--log-y", *log_y, "Chart with a logarithmic y axis");
  cmd->add_flag("--per-rank", *per_rank, "Chart one line per rank instead of the mean with its min/max band");
  cmd->add_option("--smoothing", *smoothing, "Chart EMA smoothing weight, 0 (none) to 0.99")->check(CLI::Range(0.0, 0.99));
  cmd->callback([&g, &result, runs, csv_dir, csv_opt, plot, plot_opt, pictures, x_axis, log_y, per_rank, smoothing] {
    if (!csv_opt->count() && !plot_opt->count()) throw CLI::ValidationError("export", "give --csv DIR or --plot METRIC");
    if (plot_opt->count() && std::all_of(pictures->begin(), pictures->end(), [](auto& f) { return f.empty(); })) {
      throw CLI::ValidationError("--plot", "give --png, --svg and/or --pdf FILE");
    }
    if (csv_opt->count() && runs->size() > 1) throw CLI::ValidationError("--csv", "exports one run at a time");
    auto project = open_project(g);
    std::vector<panels::PlotRun> resolved;
    for (const auto& run : *runs) {
      const auto id = runfiles::resolve_run(project, run);
      resolved.push_back({id, QString::fromStdString(runfiles::read_run_record(runfiles::run_path(project, id)).name),
                          runfiles::run_path(project, id) / "run.h5"});
    }
    if (csv_opt->count()) {
      runfiles::RunH5Reader reader(resolved.front().run_h5);
      auto files = runfiles::export_csv(reader, *csv_dir);
      std::cout << "wrote " << files.size() << " CSV files under " << *csv_dir << "\n";
    }
    if (plot_opt->count()) {
      panels::PlotExport request;
      request.runs = resolved;
      request.metric = QString::fromStdString(*plot);
      for (const auto& file : *pictures) {
        if (!file.empty()) request.files << QString::fromStdString(file);
      }
      request.options.x_axis = *x_axis == "wall"       ? panels::XAxisKind::WallTime
                               : *x_axis == "relative" ? panels::XAxisKind::RelativeTime
                                                       : panels::XAxisKind::Step;
      request.options.log_y = *log_y;
      request.options.per_rank = *per_rank;
      request.options.smoothing = *smoothing;
      auto qt = panels::start_application_for_drawing();
      panels::export_run_plot(request);
      for (const auto& file : request.files) std::cout << "wrote " << file.toStdString() << "\n";
    }
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
