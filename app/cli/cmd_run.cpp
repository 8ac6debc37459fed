// orrery run / validate / attach
#include "commands.hpp"
#include "follow.hpp"
#include "remote_run.hpp"

#include "spec/spec.hpp"

#include <iostream>

namespace orrery::cli {

namespace {

void print_issues(const std::string& file, const std::vector<spec::Issue>& issues) {
  std::cerr << file << ": " << issues.size() << (issues.size() == 1 ? " error" : " errors") << "\n";
  for (const auto& i : issues) std::cerr << "  " << i.path << ": " << i.message << "\n";
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
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("SPEC", args->spec, "Run spec (JSON): kind, params, ranks, name, tags")->required()->check(CLI::ExistingFile);
  cmd->add_option("--ranks,-n", args->ranks, "Number of ranks (overrides the spec)")->check(CLI::PositiveNumber);
  cmd->add_flag("--detach,-d", args->detach, "Start the run and return at once");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress line; only the verdict");
  cmd->add_option("--target,-t", args->target, "Where to run: a target of orrery.json (default: the spec's, else local)");
  cmd->add_flag("--accept-new-host-key", args->accept_new_host_key,
                "SSH targets: trust a host key seen for the first time (recorded in known_hosts); a changed key is always refused");
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
    if (auto code = run_on_target(project, *kind, *v.spec, paths, target,
                                  {args->detach, args->quiet, args->accept_new_host_key})) {
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
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_flag("--quiet,-q", *quiet, "No progress line; only the verdict");
  cmd->callback([&g, &result, run, quiet] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    std::cout << "following run " << id << "\n" << std::flush;
    result = follow_run(project, id, {*quiet, true});
  });
}

}  // namespace orrery::cli
