// A project folder: orrery.json plus runs/<run-id>/. Run ids and names come
// from users and other processes, so every path into runs/ is built here and
// checked to stay inside the project.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace orrery::runfiles {

class ProjectError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Project {
  std::filesystem::path root;          // absolute, canonical
  nlohmann::json settings;             // orrery.json
  std::filesystem::path runs_dir() const { return root / "runs"; }
  std::filesystem::path kinds_dir() const { return root / "kinds"; }   // the project's own manifests
};

// dir given: opens it, creating orrery.json (and the folder) when absent.
// dir not given: $ORRERY_PROJECT, else the nearest folder upward from cwd holding orrery.json.
Project open_project(const std::optional<std::filesystem::path>& dir, bool create_if_missing);

// [A-Za-z0-9][A-Za-z0-9._-]{0,127}; no "..": a run id is a single path component.
bool valid_run_id(std::string_view id);
// "20261125-143012-<name>-<4 hex>", unique within the project's runs/ folder.
std::string make_run_id(const Project& project, std::string_view name);
// runs/<id>, after checking the id; throws ProjectError.
std::filesystem::path run_path(const Project& project, std::string_view id);
// All run ids, oldest first (ids sort by creation time).
std::vector<std::string> list_run_ids(const Project& project);
// An exact id, a unique id prefix, or a run name (the latest run of that name).
std::string resolve_run(const Project& project, std::string_view query);

}  // namespace orrery::runfiles
