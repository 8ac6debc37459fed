// orrery run / validate / attach
#include "commands.hpp"
#include "follow.hpp"
#include "remote_run.hpp"

#include "slurm_run.hpp"

#include "spec/spec.hpp"
#include "spec/sweep.hpp"

#include <fstream>

#include <iostream>

namespace orrery::cli {

namespace {

void print_issues(const std::string& file, const std::vector<spec::Issue>& issues) {
  std::cerr << file << ": " << issues.size() << (issues.size() == 1 ? " error" : " errors") << "\n";
  for (const auto& i : issues) std::cerr << "  " << i.path << ": " << i.message << "\n";
}

// A sweep from the command line becomes one Slurm job array (run_on_slurm).
int run_sweep_on_slurm(const runfiles::Project& project, const spec::KindCatalog& kinds, const spec::KindSchema& kind,
                       const std::string& spec_file, const std::vector<std::string>& sweeps, std::optional<int> ranks,
                       const launch::InstallPaths& paths, const std::string& target_name, const RemoteRunOptions& options) {
  auto target = remote::find_target(project_targets(project), target_name);
  if (!target || target->type != remote::TargetType::Slurm) {
    std::cerr << "orrery: --sweep runs as a Slurm job array: give a Slurm target (--target)\n";
    return kUsage;
  }
  std::vector<spec::SweepAxis> axes;
  for (const auto& s : sweeps) {
    auto eq = s.find('=');
    const auto* param = eq == std::string::npos ? nullptr : kind.param(s.substr(0, eq));
    if (!param) {
      std::cerr << "orrery: --sweep " << s << ": expected PARAM=VALUES with a parameter of " << kind.name << "\n";
      return kUsage;
    }
    auto values = spec::parse_sweep_values(*param, s.substr(eq + 1));
    if (!values.ok()) {
      std::cerr << "orrery: --sweep " << s << ": " << values.error << "\n";
      return kUsage;
    }
    axes.push_back({param->name, values.values});
  }
  std::ifstream in(spec_file);
  auto base = nlohmann::json::parse(in, nullptr, false);
  auto expansion = spec::expand_sweep(base, axes, kinds, ranks);
  if (!expansion.ok()) {
    print_issues(spec_file, expansion.errors);
    return kUsage;
  }
  return run_on_slurm(project, kind, expansion.specs, paths, *target, options);
}

}  // namespace

void add_run_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("run", "Validate a spec, launch it through a detached orrery-agent, and follow it");
  struct Args {
    std::string spec;
    std::optional<int> ranks;
    bool detach = false, quiet = false;
    std::string target;
    bool accept_new_host_key = false;
    bool show_script = false;
    std::vector<std::string> sweeps;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("SPEC", args->spec, "Run spec (JSON): kind, params, ranks, name, tags")->required()->check(CLI::ExistingFile);
  cmd->add_option("--ranks,-n", args->ranks, "Number of ranks (overrides the spec)")->check(CLI::PositiveNumber);
  cmd->add_flag("--detach,-d", args->detach, "Start the run and return at once");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress line; only the verdict");
  cmd->add_option("--target,-t", args->target, "Where to run: a target of orrery.json (default: the spec's, else local)");
  cmd->add_flag("--accept-new-host-key", args->accept_new_host_key,
                "SSH targets: trust a host key seen for the first time (recorded in known_hosts); a changed key is always refused");
  cmd->add_flag("--show-script", args->show_script, "Slurm targets: print the generated sbatch script before submitting it");
  cmd->add_option("--sweep", args->sweeps,
                  "Slurm targets: PARAM=VALUES (as the launch form's sweep: \"1, 2, 4\" or \"0.1:0.5:0.2\"), repeatable; "
                  "one run per combination, submitted as one job array");
  cmd->callback([&g, &result, args] {
    auto project = open_project(g, /*create_if_missing=*/true);
    auto paths = launch::InstallPaths::from_executable();
    auto kinds = load_kinds(paths, &project, true);
    auto v = spec::load_spec_file(args->spec, kinds, args->ranks);
    if (!v.ok()) {
      print_issues(args->spec, v.errors);
      result = kUsage;
      return;
    }
    const auto* kind = kinds.find(v.spec->kind);
    const std::string target = args->target.empty() ? v.spec->target : args->target;
    const RemoteRunOptions options{args->detach, args->quiet, args->accept_new_host_key, args->show_script};
    if (!args->sweeps.empty()) {
      result = run_sweep_on_slurm(project, kinds, *kind, args->spec, args->sweeps, args->ranks, paths, target, options);
      return;
    }
    if (auto code = run_on_target(project, *kind, *v.spec, paths, target, options)) {
      result = *code;
      return;
    }
    auto launched = launch::launch_local(project, *kind, *v.spec, paths);
    std::cout << "run " << launched.run_id << " started: " << v.spec->kind << " on " << v.spec->ranks
              << " ranks (agent pid " << launched.record.agent.pid << ")\n"
              << "  files: " << launched.run_dir.string() << "\n" << std::flush;
    if (args->detach) {
      result = kSucceeded;
      return;
    }
    result = follow_run(project, launched.run_id, {args->quiet, true});
  });
}

void add_validate_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("validate", "Check a spec and list every error with its JSON path");
  auto file = std::make_shared<std::string>();
  cmd->add_option("SPEC", *file, "Run spec (JSON)")->required()->check(CLI::ExistingFile);
  cmd->callback([&g, &result, file] {
    std::optional<runfiles::Project> project;
    try { project = open_project(g, false); } catch (const std::exception&) {}
    auto kinds = load_kinds(launch::InstallPaths::from_executable(), project ? &*project : nullptr, true);
    auto v = spec::load_spec_file(*file, kinds);
    if (!v.ok()) {
      print_issues(*file, v.errors);
      result = kUsage;
      return;
    }
    std::cout << *file << ": valid\n" << v.spec->to_json().dump(2) << "\n";
    result = kSucceeded;
  });
}

void add_attach_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("attach", "Follow a run started earlier or by another client");
  auto run = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto accept_new_host_key = std::make_shared<bool>(false);
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_flag("--quiet,-q", *quiet, "No progress line; only the verdict");
  cmd->add_flag("--accept-new-host-key", *accept_new_host_key,
                "A run on an ssh target (or a Slurm target reached through one): trust its host key if seen for the first time (as for orrery run)");
  cmd->callback([&g, &result, run, quiet, accept_new_host_key] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    // A Slurm run: Slurm's state first (sacct or the jobcomp file once slurmctld forgot the job).
    RemoteRunOptions slurm_options;
    slurm_options.quiet = *quiet;
    slurm_options.accept_new_host_key = *accept_new_host_key;
    if (auto code = attach_slurm(project, id, slurm_options)) {
      result = *code;
      return;
    }
    // A run on an ssh target is reached again through a new connection, followed and copied back.
    if (auto code = attach_remote(project, id, *quiet, *accept_new_host_key)) {
      result = *code;
      return;
    }
    std::cout << "following run " << id << "\n" << std::flush;
    result = follow_run(project, id, {*quiet, true});
  });
}

}  // namespace orrery::cli
