#include "compare/run_params.hpp"

#include <algorithm>
#include <set>

namespace orrery::compare {

namespace {

void flatten_into(const nlohmann::json& value, const std::string& path, Params& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) flatten_into(child, path.empty() ? key : path + "." + key, out);
    return;
  }
  ParamValue leaf;
  leaf.text = value.is_string() ? value.get<std::string>() : value.dump();
  if (value.is_number()) leaf.number = value.get<double>();
  out[path] = std::move(leaf);
}

}  // namespace

Params flatten_params(const nlohmann::json& spec) {
  Params out;
  if (!spec.is_object()) return out;
  for (const auto& [key, child] : spec.items()) {
    if (key == "name") continue;
    flatten_into(child, key, out);
  }
  return out;
}

std::vector<std::string> parameter_names(const std::vector<const Params*>& runs, bool only_differing) {
  std::set<std::string> names;
  for (const Params* p : runs)
    for (const auto& entry : *p) names.insert(entry.first);
  std::vector<std::string> out;
  for (const auto& name : names) {
    const auto value_in = [&name](const Params* p) -> const ParamValue* {
      const auto it = p->find(name);
      return it == p->end() ? nullptr : &it->second;
    };
    const ParamValue* first = value_in(runs.front());
    const bool same = std::all_of(runs.begin(), runs.end(), [&](const Params* p) {
      const ParamValue* v = value_in(p);
      return (v == nullptr) == (first == nullptr) && (v == nullptr || *v == *first);
    });
    if (!only_differing || runs.size() < 2 || !same) out.push_back(name);
  }
  return out;
}

}  // namespace orrery::compare
