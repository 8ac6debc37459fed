// A spec: what to run (job kind + parameters), how wide, where, and under what
// name. Specs come from JSON files, the launch form and the CLI; all of them go
// through validate_spec, which reports every problem at once with its JSON path
// so a form can mark each field and a CLI can print a complete list.
// Format: core/spec/SPEC_FORMAT.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/kind_catalog.hpp"
#include "spec/kind_schema.hpp"

namespace orrery::spec {

struct Spec {
  std::string kind, name, target = "local";
  int ranks = 0;
  std::vector<std::string> tags;
  nlohmann::json params = nlohmann::json::object();   // complete: every parameter of the kind, defaults filled in

  // {"kind", "name", "target", "ranks", "tags", "params"}; validate_spec accepts it back unchanged.
  nlohmann::json to_json() const;
};

struct Validation {
  std::optional<Spec> spec;   // set only when there are no errors
  std::vector<Issue> errors;
  bool ok() const { return errors.empty(); }
};

// Validates a spec document against the catalog and fills in defaults:
// name defaults to the kind's name, ranks to the kind's default, target to
// "local", tags to none. `ranks_override` (a --ranks flag, the form's rank
// field) replaces the document's ranks; the document's own value must still
// be a well-formed rank count.
Validation validate_spec(const nlohmann::json& spec, const KindCatalog& kinds,
                         std::optional<int> ranks_override = std::nullopt);

// Reads a spec file and validates it; issues carry the file. A JSON syntax
// error becomes one Issue at "$" with "line L, column C" in its message.
Validation load_spec_file(const std::filesystem::path& file, const KindCatalog& kinds,
                          std::optional<int> ranks_override = std::nullopt);

// valid_run_name() is declared in kind_schema.hpp (kind names follow the same rule).
// Tags label runs for search: 1 to 64 characters, starting with a letter or
// digit, then letters, digits, spaces and . _ - : = + / ; no trailing space.
bool valid_tag(std::string_view tag);

// Targets a spec may name; only the workstation itself for now.
inline constexpr std::string_view kKnownTargets[] = {"local"};

}  // namespace orrery::spec
