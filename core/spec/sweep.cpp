#include "spec/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>

#include "spec/word_split.hpp"

namespace orrery::spec {

using nlohmann::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The text as a JSON number if it is exactly one (no NaN, no hex, no trailing text).
std::optional<json> json_number(std::string_view text) {
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_number()) return std::nullopt;
  return parsed;
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> items;
  for (;;) {
    auto comma = text.find(',');
    items.push_back(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) return items;
    text.remove_prefix(comma + 1);
  }
}

// Floats in a range are computed as start + i*step; 12 significant digits
// turn 0.1+2*0.1 = 0.30000000000000004 back into the 0.3 the user meant.
double tidy(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}

SweepValues parse_range(const ParamSchema& p, std::string_view text, std::size_t max_values) {
  SweepValues out;
  std::vector<std::string_view> parts;
  for (;;) {
    auto colon = text.find(':');
    parts.push_back(trim(text.substr(0, colon)));
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  const bool is_int = p.type == ParamType::Int;
  if (parts.size() != 3 && !(is_int && parts.size() == 2)) {
    out.error = is_int ? "a range is start:stop:step or start:stop, e.g. 1:9:2" : "a range is start:stop:step, e.g. 0.1:0.5:0.1";
    return out;
  }
  double numbers[3] = {0, 0, 1};
  const char* names[3] = {"start", "stop", "step"};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto n = json_number(parts[i]);
    if (!n) {
      out.error = "range " + std::string(names[i]) + " \"" + std::string(parts[i]) + "\" is not a number";
      return out;
    }
    numbers[i] = n->get<double>();
    if (is_int && numbers[i] != std::trunc(numbers[i])) {
      out.error = "range " + std::string(names[i]) + " of an int parameter must be an integer, got " + std::string(parts[i]);
      return out;
    }
  }
  const double start = numbers[0], stop = numbers[1], step = numbers[2];
  if (step == 0) {
    out.error = "range step must not be 0";
    return out;
  }
  if ((stop - start) / step < 0) {
    out.error = "range step " + detail::format_number(step) + " never reaches stop " + detail::format_number(stop) +
                " from start " + detail::format_number(start);
    return out;
  }
  // A small tolerance so that 0.1:0.3:0.1 includes 0.3 despite rounding.
  const double count = std::floor((stop - start) / step + 1e-9) + 1;
  if (!(count <= static_cast<double>(max_values))) {
    out.error = "range gives " + detail::format_number(count) + " values, more than the limit of " +
                std::to_string(max_values);
    return out;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
    double v = start + static_cast<double>(i) * step;
    if (is_int) out.values.emplace_back(static_cast<std::int64_t>(std::llround(v)));
    else out.values.emplace_back(tidy(v));
  }
  return out;
}

}  // namespace

TextValue value_from_text(const ParamSchema& p, std::string_view text) {
  TextValue out;
  switch (p.type) {
    case ParamType::Int:
    case ParamType::Float: {
      auto trimmed = trim(text);
      if (auto n = json_number(trimmed)) out.value = *n;
      else out.value = json(std::string(trimmed));
      return out;
    }
    case ParamType::Bool: {
      auto trimmed = trim(text);
      if (trimmed == "true") out.value = true;
      else if (trimmed == "false") out.value = false;
      else out.value = json(std::string(trimmed));
      return out;
    }
    case ParamType::String:
    case ParamType::Choice:
      out.value = json(std::string(text));
      return out;
    case ParamType::StringList: {
      auto split = split_words(text);
      if (!split.ok()) out.error = split.error;
      else out.value = json(split.words);
      return out;
    }
  }
  out.error = "unsupported parameter type";
  return out;
}

SweepValues parse_sweep_values(const ParamSchema& p, std::string_view text, std::size_t max_values) {
  SweepValues out;
  if (trim(text).empty()) {
    out.error = "no sweep values: give a list such as 1, 2, 4" +
                std::string(p.type == ParamType::Int || p.type == ParamType::Float ? " or a range start:stop:step" : "");
    return out;
  }
  if (p.type == ParamType::StringList) {
    auto groups = split_word_groups(text, ';');
    if (!groups.ok()) {
      out.error = groups.error;
      return out;
    }
    for (auto& g : groups.groups) out.values.emplace_back(std::move(g));
  } else if ((p.type == ParamType::Int || p.type == ParamType::Float) && text.find(':') != std::string_view::npos) {
    return parse_range(p, text, max_values);
  } else {
    auto items = split_commas(text);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].empty()) {
        out.error = "value " + std::to_string(i + 1) + " of the list is empty";
        return out;
      }
      out.values.push_back(*value_from_text(p, items[i]).value);
    }
  }
  if (out.values.size() > max_values)
    out.error = "the list has " + std::to_string(out.values.size()) + " values, more than the limit of " +
                std::to_string(max_values);
  return out;
}

std::size_t sweep_size(const std::vector<SweepAxis>& axes) {
  std::size_t n = 1;
  for (const auto& a : axes) {
    if (a.values.empty()) return 0;
    if (n > std::numeric_limits<std::size_t>::max() / a.values.size()) return std::numeric_limits<std::size_t>::max();
    n *= a.values.size();
  }
  return n;
}

SweepExpansion expand_sweep(const json& base, const std::vector<SweepAxis>& axes, const KindCatalog& kinds,
                            std::optional<int> ranks_override, std::size_t max_runs) {
  SweepExpansion out;
  std::set<std::pair<std::string, std::string>> seen;
  auto add_errors = [&](const std::vector<Issue>& errors) {
    for (const auto& e : errors)
      if (seen.emplace(e.path, e.message).second) out.errors.push_back(e);
  };

  std::set<std::string> names;
  for (const auto& a : axes) {
    std::string at = detail::path_child("$.params", a.param);
    if (!names.insert(a.param).second) add_errors({Issue{at, "parameter " + detail::json_quote(a.param) + " is swept twice"}});
    if (a.values.empty()) add_errors({Issue{at, "the sweep of " + detail::json_quote(a.param) + " has no values"}});
  }
  if (!out.errors.empty()) return out;
  const std::size_t total = sweep_size(axes);
  if (total > max_runs) {
    add_errors({Issue{"$", "the sweep makes " + (total == std::numeric_limits<std::size_t>::max() ? std::string("too many")
                                                                                                   : std::to_string(total)) +
                               " runs, more than the limit of " + std::to_string(max_runs) +
                               "; remove values or widen a range's step"}});
    return out;
  }

  json doc = base;
  if (doc.is_object() && (!doc.contains("params") || doc["params"].is_null())) doc["params"] = json::object();
  const bool can_assign = doc.is_object() && doc["params"].is_object();

  // Odometer over the axes, last axis fastest.
  std::vector<std::size_t> index(axes.size(), 0);
  for (std::size_t run = 0; run < total; ++run) {
    json assignment = json::object();
    for (std::size_t a = 0; a < axes.size(); ++a) {
      assignment[axes[a].param] = axes[a].values[index[a]];
      if (can_assign) doc["params"][axes[a].param] = axes[a].values[index[a]];
    }
    auto v = validate_spec(doc, kinds, ranks_override);
    if (v.ok()) {
      out.specs.push_back(std::move(*v.spec));
      out.assignments.push_back(std::move(assignment));
    } else {
      add_errors(v.errors);
    }
    for (std::size_t a = axes.size(); a-- > 0;) {
      if (++index[a] < axes[a].values.size()) break;
      index[a] = 0;
    }
  }
  if (!out.errors.empty()) {
    out.specs.clear();
    out.assignments.clear();
  }
  return out;
}

}  // namespace orrery::spec
