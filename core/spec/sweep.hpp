// Parameter sweeps: several values for some parameters of a spec, expanded into
// one validated spec per combination (the cartesian product). Text forms and
// limits: core/spec/SPEC_FORMAT.md, "Sweeps".
//
// Every combination goes through validate_spec, exactly as a single spec would,
// so a sweep can never launch a run the CLI would refuse; errors keep their JSON
// paths ("$.params.iterations") and so name the parameter.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/kind_catalog.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

namespace orrery::spec {

// More runs than this from one sweep is almost always a typo in a range
// ("1:1000" meant "1:1000:100"); the user narrows the sweep instead.
inline constexpr std::size_t kMaxSweepRuns = 256;

struct SweepAxis {
  std::string param;
  std::vector<nlohmann::json> values;   // raw values; validate_spec checks them
};

// A field's text as a JSON value for the parameter, the way the launch form
// reads it: int/float text that is a JSON number becomes that number, any other
// text stays a string (so the validator reports "expected an integer, got
// string \"abc\"", as the CLI would for the same value); bool accepts exactly
// "true"/"false"; string and choice take the text as it is; string_list is split
// into words (word_split.hpp). nullopt + `error` only for unsplittable lists.
struct TextValue {
  std::optional<nlohmann::json> value;
  std::string error;
};
TextValue value_from_text(const ParamSchema& param, std::string_view text);

// The sweep text of one parameter:
//   int, float: "1, 2, 4" (a list) or "start:stop:step" (a range; stop included
//               when reached; "start:stop" steps by 1 for int parameters);
//   bool:       "true, false";
//   string, choice: "a, b, c" (items trimmed; a comma cannot be inside a value);
//   string_list: alternatives separated by ';', each split into words: "-v; -q --fast".
// Values are not range-checked here (expand_sweep does that through validate_spec),
// but a list or range that would exceed `max_values` is refused before it is built.
struct SweepValues {
  std::vector<nlohmann::json> values;
  std::string error;   // empty on success
  bool ok() const { return error.empty(); }
};
SweepValues parse_sweep_values(const ParamSchema& param, std::string_view text,
                               std::size_t max_values = kMaxSweepRuns);

// Number of combinations; saturates at SIZE_MAX instead of overflowing.
std::size_t sweep_size(const std::vector<SweepAxis>& axes);

struct SweepExpansion {
  std::vector<Spec> specs;                    // one per combination; empty when there are errors
  std::vector<nlohmann::json> assignments;    // for each spec: {param: value} of the swept parameters
  std::vector<Issue> errors;                  // each distinct problem once
  bool ok() const { return errors.empty(); }
};

// `base` is a spec document (as for validate_spec); each axis replaces
// $.params.<param> in it. The last axis varies fastest. Errors: an axis with
// no values or named twice (path $.params.<param>), more than `max_runs`
// combinations (path "$"), and every validation error of any combination.
SweepExpansion expand_sweep(const nlohmann::json& base, const std::vector<SweepAxis>& axes, const KindCatalog& kinds,
                            std::optional<int> ranks_override = std::nullopt, std::size_t max_runs = kMaxSweepRuns);

}  // namespace orrery::spec
