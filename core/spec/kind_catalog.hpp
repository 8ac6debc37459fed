// The job kinds known to this installation: every kind manifest found in a
// list of directories (typically share/orrery/kinds, then the user's own).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/kind_schema.hpp"

namespace orrery::spec {

class KindCatalog {
 public:
  // Loads every *.json in the dirs, in file-name order. A kind in a later dir
  // replaces one of the same name from an earlier dir, so users can override a
  // shipped kind. A dir that does not exist is skipped (a user's kinds dir is
  // optional). Broken files and same-name clashes inside one dir are reported
  // in `problems` and skipped, never fatal: one bad manifest must not hide the rest.
  static KindCatalog load(const std::vector<std::filesystem::path>& dirs, std::vector<Issue>* problems = nullptr);
  // From kinds built in code (tests, embedders); later entries replace earlier ones by name.
  static KindCatalog from_kinds(std::vector<KindSchema> kinds);

  const KindSchema* find(std::string_view name) const;
  const std::vector<KindSchema>& kinds() const { return kinds_; }   // sorted by name
  std::vector<std::string> names() const;

 private:
  void put(KindSchema kind);
  std::vector<KindSchema> kinds_;
};

// Reads and parses a JSON file. On failure returns nullopt and appends one
// Issue (path "$", file set): unreadable file, or a syntax error with
// "line L, column C" in the message.
std::optional<nlohmann::json> read_json_file(const std::filesystem::path& file, std::vector<Issue>* problems);

}  // namespace orrery::spec
