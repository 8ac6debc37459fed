// A job kind's schema: its typed parameters, what it runs, the metrics it emits.
//
// Parsed from a kind.json manifest (format: core/spec/SPEC_FORMAT.md). The
// launch form is generated from it and every spec is validated against it, so
// parsing is strict: a manifest with any problem is rejected as a whole rather
// than half-used.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orrery::spec {

// One problem found in a spec or a kind file. `path` is a JSON path into the
// document ("$", "$.ranks", "$.params.iterations", "$.tags[2]"); `file` is set
// when the document came from a file (catalog problems, load_spec_file).
struct Issue {
  std::string path;
  std::string message;
  std::filesystem::path file{};
};
// "file: $.path: message" (file omitted when empty), for printing.
std::string to_string(const Issue& issue);

enum class ParamType { Int, Float, Bool, String, Choice, StringList };
// The manifest spelling: "int", "float", "bool", "string", "choice", "string_list".
std::string_view to_string(ParamType type);
std::optional<ParamType> param_type_from_string(std::string_view text);

struct ParamSchema {
  std::string name;
  ParamType type = ParamType::String;
  // null when the manifest gives no default: the parameter is then required in specs.
  nlohmann::json default_value;
  std::optional<double> min, max;      // inclusive; Int, Float, and StringList (element count)
  std::vector<std::string> choices;    // Choice only
  std::string help;
  std::string unit;

  bool required() const { return default_value.is_null(); }
};

// Checks one value against a parameter's type, range and choices. Returns the
// value in canonical form (integral floats such as 1e6 become integers for Int
// parameters, integers become floats for Float ones) or the reasons it is bad,
// each with a path relative to the value ("" for the value itself, "[2]" for an
// element of a string list).
struct ValueCheck {
  nlohmann::json value;
  std::vector<Issue> errors;
};
ValueCheck check_value(const ParamSchema& param, const nlohmann::json& value);

enum class Runner { Worker, Command };

struct KindSchema {
  std::string name, title, description;
  Runner runner = Runner::Worker;
  std::string worker;                 // Runner::Worker: executable name in the bin dir
  std::vector<std::string> command;   // Runner::Command: argv template
  std::vector<ParamSchema> params;
  std::vector<std::string> metrics;
  std::string progress_metric;        // empty when the kind has none
  int min_ranks = 1, max_ranks = 1024, default_ranks = 2;
  std::filesystem::path source;       // the manifest it came from; empty if built in code

  const ParamSchema* param(std::string_view name) const;
};

// Placeholders available to every command template besides the parameters.
// {ranks} is the run's rank count; the others are directories (RenderContext).
inline constexpr std::string_view kBuiltinPlaceholders[] = {"bin", "share", "project", "run_dir", "ranks"};
bool is_builtin_placeholder(std::string_view name);

// One command-template element split into literal text and {placeholders}.
// "{{" and "}}" stand for literal braces. Throws std::invalid_argument on an
// unclosed or empty placeholder, a stray "}", or a name that is not an identifier.
struct TemplatePart {
  bool placeholder = false;
  std::string text;   // literal text, or the placeholder's name
};
std::vector<TemplatePart> split_template(std::string_view element);

// Parses and strictly checks a kind manifest. Returns nullopt when any problem
// was found; every problem is appended to `problems` (with `source` as file).
std::optional<KindSchema> parse_kind(const nlohmann::json& manifest, const std::filesystem::path& source,
                                     std::vector<Issue>* problems);

// Names of kinds and runs, and parameter names, share these rules because they
// end up in directory names and command-line flags.
bool valid_run_name(std::string_view name);     // [A-Za-z0-9][A-Za-z0-9._-]{0,63}
bool valid_param_name(std::string_view name);   // [A-Za-z_][A-Za-z0-9_]{0,63}

// Message helpers shared by the kind and spec parsers (not meant for other callers).
namespace detail {
// JSON paths: path_child("$.params", "iterations") == "$.params.iterations";
// keys that are not identifiers use brackets: $.params["my key"].
std::string path_child(std::string_view parent, std::string_view key);
std::string path_index(std::string_view parent, std::size_t index);   // "$.tags[2]"
// "string \"abc\"", "integer 3", "number 2.5", "boolean true", "null", "a list", "an object".
std::string describe_json(const nlohmann::json& value);
std::string json_quote(std::string_view text);   // JSON-style double quotes and escapes
std::string join(const std::vector<std::string>& items, std::string_view separator);
// " (did you mean \"iterations\"?)" for a close candidate, else "".
std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates);
std::string format_number(double value);     // integral values without a fraction
// ASCII letters and digits, whatever the locale says (names must mean the same everywhere).
inline bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace detail

}  // namespace orrery::spec
