// A run's parameters as the comparison reads them: its spec flattened to dotted names
// ("params.lr", "params.optim.beta1", "ranks"), each leaf a value that is a number or
// a category (text). Which parameters differ between runs decides the default columns
// of the comparison table and the axes of its parallel-coordinates chart.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orrery::compare {

struct ParamValue {
  std::string text;               // as a person reads it: strings unquoted, the rest as JSON
  std::optional<double> number;   // set for JSON numbers only (true/false and "3" stay categories)
  bool operator==(const ParamValue& other) const { return text == other.text && number.has_value() == other.number.has_value(); }
};

using Params = std::map<std::string, ParamValue>;

// Every leaf of the spec under its dotted path. Arrays are one leaf (their JSON text): a
// list of arguments is one choice, not many. "name" is left out: it names the run, it is
// not a setting. A spec that is not an object gives no parameters.
Params flatten_params(const nlohmann::json& spec);

// Names that appear in any of the runs, sorted; with only_differing, just the ones whose
// value is not the same in every run (a parameter missing from some runs differs). With
// fewer than two runs nothing differs, so only_differing gives every name.
std::vector<std::string> parameter_names(const std::vector<const Params*>& runs, bool only_differing);

}  // namespace orrery::compare
