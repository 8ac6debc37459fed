#include "cli_common.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace orrery::cli {

runfiles::Project open_project(const Globals& g, bool create_if_missing) {
  std::optional<std::filesystem::path> dir;
  if (g.project_dir) dir = *g.project_dir;
  return runfiles::open_project(dir, create_if_missing);
}

spec::KindCatalog load_kinds(const launch::InstallPaths& paths, const runfiles::Project* project, bool report_problems) {
  std::vector<std::filesystem::path> dirs{paths.share_dir / "kinds"};
  if (project) dirs.push_back(project->kinds_dir());
  std::vector<spec::Issue> problems;
  auto catalog = spec::KindCatalog::load(dirs, &problems);
  if (report_problems)
    for (const auto& p : problems) std::cerr << "warning: job kind skipped: " << spec::to_string(p) << "\n";
  return catalog;
}

std::string format_duration(double s) {
  if (!(s >= 0)) return "-";
  long total = std::lround(s);
  char buf[32];
  if (total >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", total / 60, total % 60);
  return buf;
}

std::string format_clock(double epoch) {
  if (epoch <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string format_count(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.1fG", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  else if (n >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

double run_duration(const runfiles::RunRecord& r) {
  if (r.started <= 0) return -1;
  double end = r.ended > 0 ? r.ended
                           : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return end - r.started;
}

}  // namespace orrery::cli
