#include "agent/stdout_line_parser.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace orrery::agent {

namespace {

void take_numbers(const nlohmann::json& object, ParsedLine& out, bool skip_step) {
  for (const auto& [key, value] : object.items()) {
    if (skip_step && key == "step") continue;
    if (value.is_number()) out.metrics.emplace_back(key, value.get<double>());
    else if (value.is_null()) out.metrics.emplace_back(key, std::nan(""));   // the reporter's encoding of NaN/inf
  }
}

}  // namespace

std::optional<ParsedLine> parse_stdout_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') return std::nullopt;
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  ParsedLine out;
  try {
  if (j.contains("step") && j["step"].is_number_integer()) out.step = j["step"].get<std::int64_t>();
  if (j.contains("orrery")) {
    out.reporter = true;
    // {"orrery": 1, "step": 12, "metrics": {...}} / {"orrery":1, "progress":[d,t]} / {"orrery":1, "event":{kind,text}}
    if (auto it = j.find("metrics"); it != j.end() && it->is_object()) take_numbers(*it, out, false);
    if (auto it = j.find("progress"); it != j.end() && it->is_array() && it->size() == 2 && (*it)[0].is_number() &&
                                      (*it)[1].is_number())
      out.progress = std::make_pair((*it)[0].get<double>(), (*it)[1].get<double>());
    if (auto it = j.find("event"); it != j.end() && it->is_object())
      out.event = std::make_pair(it->value("kind", std::string("event")), it->value("text", std::string()));
  } else if (out.step >= 0) {
    take_numbers(j, out, true);   // plain form: {"step": 3, "loss": 0.2, "acc": 0.9}
  }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;   // e.g. an "event" whose kind is not a string
  }
  if (out.empty() && !out.reporter) return std::nullopt;
  return out;
}

}  // namespace orrery::agent
