#include "runfiles/project.hpp"

#include "runfiles/run_record.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace orrery::runfiles {

namespace {

nlohmann::json read_settings(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ProjectError("cannot read " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ProjectError(file.string() + " is not a JSON object");
  return j;
}

bool id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

Project open_project(const std::optional<fs::path>& dir, bool create_if_missing) {
  fs::path root;
  if (dir) {
    root = fs::absolute(*dir);
  } else if (const char* env = std::getenv("ORRERY_PROJECT"); env && *env) {
    root = fs::absolute(env);
  } else {
    for (fs::path p = fs::current_path(); ; p = p.parent_path()) {
      if (fs::exists(p / "orrery.json")) { root = p; break; }
      if (p == p.parent_path()) break;
    }
    if (root.empty())
      throw ProjectError("no Orrery project here: no orrery.json in this folder or above (use --project DIR)");
  }
  std::error_code ec;
  if (!fs::exists(root / "orrery.json")) {
    if (!create_if_missing) throw ProjectError("no Orrery project at " + root.string() + " (orrery.json is missing)");
    fs::create_directories(root, ec);
    if (ec) throw ProjectError("cannot create project folder " + root.string() + ": " + ec.message());
    nlohmann::json settings = {{"name", root.filename().string()},
                               {"targets", {{"local", {{"type", "local"}}}}}};
    write_file_atomically(root / "orrery.json", settings.dump(2) + "\n");
  }
  Project project;
  project.root = fs::canonical(root);
  project.settings = read_settings(project.root / "orrery.json");
  fs::create_directories(project.runs_dir(), ec);
  if (ec) throw ProjectError("cannot create " + project.runs_dir().string() + ": " + ec.message());
  return project;
}

bool valid_run_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  if (!((id[0] >= 'A' && id[0] <= 'Z') || (id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9'))) return false;
  if (id.find("..") != std::string_view::npos) return false;
  return std::all_of(id.begin(), id.end(), id_char);
}

std::string make_run_id(const Project& project, std::string_view name) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string slug;
  for (char c : name.substr(0, 48)) slug += id_char(c) && c != '.' ? c : '-';
  if (slug.empty()) slug = "run";
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", rd() & 0xffffu);
    std::string id = std::string(stamp) + "-" + slug + "-" + suffix;
    if (valid_run_id(id) && !fs::exists(project.runs_dir() / id)) return id;
  }
  throw ProjectError("cannot find a free run id in " + project.runs_dir().string());
}

fs::path run_path(const Project& project, std::string_view id) {
  if (!valid_run_id(id)) throw ProjectError("'" + std::string(id) + "' is not a valid run id");
  auto p = project.runs_dir() / std::string(id);
  // The id has no separators, but runs/<id> could still be a symlink pointing out.
  std::error_code ec;
  if (fs::is_symlink(p, ec)) throw ProjectError("run folder " + p.string() + " is a symbolic link; refusing to follow it");
  return p;
}

std::vector<std::string> list_run_ids(const Project& project) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(project.runs_dir(), ec)) {
    auto id = entry.path().filename().string();
    if (valid_run_id(id) && entry.is_directory() && !entry.is_symlink() && fs::exists(entry.path() / "run.json"))
      ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string resolve_run(const Project& project, std::string_view query) {
  if (query.empty()) throw ProjectError("no run given");
  auto ids = list_run_ids(project);
  if (std::find(ids.begin(), ids.end(), query) != ids.end()) return std::string(query);
  std::vector<std::string> prefixed;
  for (const auto& id : ids)
    if (id.starts_with(query)) prefixed.push_back(id);
  if (prefixed.size() == 1) return prefixed.front();
  if (prefixed.size() > 1)
    throw ProjectError("'" + std::string(query) + "' matches " + std::to_string(prefixed.size()) + " runs; give more of the id");
  // By name: the latest run with that name.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    try {
      if (read_run_record(project.runs_dir() / *it).name == query) return *it;
    } catch (const std::exception&) {
    }
  }
  throw ProjectError("no run '" + std::string(query) + "' in " + project.root.string());
}

}  // namespace orrery::runfiles
