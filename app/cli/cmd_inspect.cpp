// orrery ls / show
#include "commands.hpp"
#include "follow.hpp"

#include "remote/slurm_launcher.hpp"
#include "runfiles/run_h5_reader.hpp"

#include <cstdio>
#include <iostream>

namespace orrery::cli {

void add_ls_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("ls", "List the project's runs: id, kind, status, ranks, start, duration");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "One JSON object per run (run.json with the observed status)");
  cmd->callback([&g, &result, json] {
    auto project = open_project(g);
    auto ids = runfiles::list_run_ids(project);
    if (!*json) std::printf("%-44s %-16s %-10s %5s  %-19s %9s  %s\n", "ID", "KIND", "STATUS", "RANKS", "STARTED", "DURATION", "NAME");
    for (const auto& id : ids) {
      runfiles::RunRecord r;
      try {
        r = runfiles::read_run_record(runfiles::run_path(project, id));
      } catch (const std::exception& e) {
        if (!*json) std::printf("%-44s (unreadable: %s)\n", id.c_str(), e.what());
        continue;
      }
      auto status = runfiles::to_string(launch::observed_status(r));
      if (*json) {
        auto j = r.to_json();
        j["status"] = status;
        std::cout << j.dump() << "\n";
      } else {
        std::printf("%-44s %-16s %-10s %5d  %-19s %9s  %s\n", r.id.c_str(), r.kind.c_str(), status.c_str(), r.ranks,
                    format_clock(r.started > 0 ? r.started : r.created).c_str(), format_duration(run_duration(r)).c_str(),
                    r.name.c_str());
      }
    }
    if (!*json && ids.empty()) std::printf("(no runs yet in %s)\n", project.root.c_str());
    result = kSucceeded;
  });
}

void add_show_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("show", "A run's spec, status, failure reason, last metrics and checkpoints");
  auto run = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_flag("--json", *json, "Print run.json (with the observed status)");
  cmd->callback([&g, &result, run, json] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    auto dir = runfiles::run_path(project, id);
    auto r = runfiles::read_run_record(dir);
    // A Slurm run: its job and the state last seen (slurm.json; orrery attach asks Slurm again).
    const auto slurm = r.scheduler == "slurm" ? remote::read_slurm_record(dir) : std::nullopt;
    if (*json) {
      auto j = r.to_json();
      j["status"] = runfiles::to_string(launch::observed_status(r));
      if (slurm)
        j["slurm"] = {{"job", slurm->job}, {"target", slurm->target}, {"state", slurm->last.state},
                      {"reason", slurm->last.reason}, {"nodes", slurm->last.nodes}, {"exit_code", slurm->last.exit_code},
                      {"source", slurm->last.source}, {"updated", slurm->updated}};
      std::cout << j.dump(2) << "\n";
      result = kSucceeded;
      return;
    }
    std::cout << "run      " << r.id << "\n"
              << "name     " << r.name << "\n"
              << "kind     " << r.kind << " on " << r.ranks << " ranks, target " << r.target << "\n"
              << "status   " << runfiles::to_string(launch::observed_status(r)) << "\n"
              << "created  " << format_clock(r.created) << "   started " << format_clock(r.started) << "   ended "
              << format_clock(r.ended) << "   duration " << format_duration(run_duration(r)) << "\n";
    if (!r.tags.empty()) {
      std::cout << "tags    ";
      for (const auto& t : r.tags) std::cout << " " << t;
      std::cout << "\n";
    }
    if (r.progress_total > 0)
      std::printf("progress %.0f / %.0f (%.1f%%)\n", r.progress_done, r.progress_total, 100.0 * r.progress_done / r.progress_total);
    std::cout << "folder   " << dir.string() << "\n";
    if (slurm) {
      std::cout << "slurm    job " << slurm->job << " on " << slurm->target << ": "
                << (slurm->last.state.empty() ? std::string("not asked yet") : slurm->last.describe());
      if (slurm->updated > 0) std::cout << " (last seen " << format_clock(slurm->updated) << ")";
      std::cout << "\n";
      if (!slurm->remote_run_dir.empty()) std::cout << "job dir  " << slurm->remote_run_dir << " (on the login node)\n";
    }
    std::cout << "spec     " << r.spec.value("params", nlohmann::json::object()).dump() << "\n";
    if (!r.reason.empty()) std::cout << "reason   " << r.reason << "\n";
    if (r.failure) {
      std::cout << "failure  rank " << r.failure->rank << ", "
                << (r.failure->signal ? "signal " + std::to_string(r.failure->signal) : "exit code " + std::to_string(r.failure->exit_code))
                << "\n";
      for (const auto& l : r.failure->log_tail) std::cout << "    | " << l << "\n";
    }
    // Last value of every series, from run.h5 (works while the run is live too).
    try {
      runfiles::RunH5Reader reader(dir / "run.h5");
      std::cout << "metrics (last point per series):\n";
      for (const auto& key : reader.list_series()) {
        auto data = reader.read_series(key);
        if (data.values.empty()) continue;
        std::printf("  %-7s rank %-3d %-28s step %-10lld %s   (%zu points)\n", key.group.c_str(), key.rank, key.name.c_str(),
                    static_cast<long long>(data.steps.back()), format_value(data.values.back()).c_str(), data.values.size());
      }
    } catch (const std::exception& e) {
      std::cout << "metrics  (run.h5 not readable: " << e.what() << ")\n";
    }
    std::cout << "checkpoints:";
    std::vector<std::string> ckpts;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir / "checkpoints", ec))
      if (e.path().extension() == ".h5" && e.path().filename().string().starts_with("step-")) ckpts.push_back(e.path().filename().string());
    std::sort(ckpts.begin(), ckpts.end());
    if (ckpts.empty()) std::cout << " none";
    for (const auto& c : ckpts) std::cout << "\n  " << c;
    std::cout << "\n";
    if (r.dropped) std::cout << "telemetry records dropped: " << r.dropped << "\n";
    if (r.rejected) std::cout << "malformed telemetry refused: " << r.rejected << "\n";
    result = kSucceeded;
  });
}

}  // namespace orrery::cli
