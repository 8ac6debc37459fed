// orrery demo: copies the shipped demo project (if absent) and runs its specs: in the workbench
// window when there is a display, else in the terminal with progress bars.
#include "commands.hpp"
#include "follow.hpp"

#include "spec/spec.hpp"
#include "common/display.hpp"
#include "workbench/workbench_app.hpp"

#include <iostream>

namespace orrery::cli {

void add_demo_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("demo", "Set up the demo project and run its specs (in the workbench when there is a display)");
  auto dir = std::make_shared<std::string>("orrery-demo");
  cmd->add_option("DIR", *dir, "Where the demo project lives (created from the shipped copy when absent)")->capture_default_str();
  auto headless = std::make_shared<bool>(false);
  cmd->add_flag("--headless", *headless, "Run in the terminal even when a display is available");
  cmd->callback([&g, &result, dir, headless] {
    namespace fs = std::filesystem;
    auto paths = launch::InstallPaths::from_executable();
    fs::path root = g.project_dir ? fs::path(*g.project_dir) : fs::path(*dir);
    if (!fs::exists(root / "orrery.json")) {
      fs::create_directories(root);
      fs::copy(paths.share_dir / "demo", root, fs::copy_options::recursive | fs::copy_options::skip_existing);
      std::cout << "demo project created at " << fs::absolute(root).string() << "\n";
    }
    Globals local = g;
    local.project_dir = root.string();
    auto project = open_project(local);
    auto kinds = load_kinds(paths, &project, true);
    std::vector<fs::path> specs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(project.root / "specs", ec))
      if (e.path().extension() == ".json" && e.path().filename().string().find("-full") == std::string::npos)
        specs.push_back(e.path());
    std::sort(specs.begin(), specs.end());
    const bool windowed = !*headless && panels::display_available();
    std::vector<std::string> launched_ids;
    int worst = kSucceeded;
    for (const auto& file : specs) {
      auto v = spec::load_spec_file(file, kinds);
      if (!v.ok()) {
        std::cerr << file.string() << ": invalid spec\n";
        for (const auto& i : v.errors) std::cerr << "  " << i.path << ": " << i.message << "\n";
        worst = kFailed;
        continue;
      }
      std::cout << "\n== " << file.filename().string() << ": " << v.spec->kind << " on " << v.spec->ranks << " ranks\n" << std::flush;
      auto launched = launch::launch_local(project, *kinds.find(v.spec->kind), *v.spec, paths);
      if (windowed) {
        // The window follows the runs live; they all start now and share the machine.
        launched_ids.push_back(launched.run_id);
        continue;
      }
      int code = follow_run(project, launched.run_id, {false, true});
      if (code != kSucceeded) worst = kFailed;
      if (code == kDetached) break;
    }
    if (windowed) {
      result = open_workbench(local, launched_ids);
      return;
    }
    std::cout << "\nThe demo's runs are in " << project.runs_dir().string() << "; try: orrery -p " << project.root.string()
              << " ls\n";
    result = worst;
  });
}

}  // namespace orrery::cli
