#include "spec/kind_schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <utility>

namespace orrery::spec {

using nlohmann::json;
using namespace detail;

std::string to_string(const Issue& issue) {
  std::string out;
  if (!issue.file.empty()) out += issue.file.string() + ": ";
  out += issue.path + ": " + issue.message;
  return out;
}

namespace {

constexpr std::pair<ParamType, std::string_view> kTypeNames[] = {
    {ParamType::Int, "int"},       {ParamType::Float, "float"},   {ParamType::Bool, "bool"},
    {ParamType::String, "string"}, {ParamType::Choice, "choice"}, {ParamType::StringList, "string_list"},
};

}  // namespace

std::string_view to_string(ParamType type) {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  return "?";
}

std::optional<ParamType> param_type_from_string(std::string_view text) {
  for (const auto& [t, name] : kTypeNames)
    if (name == text) return t;
  return std::nullopt;
}

bool valid_run_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !is_ascii_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_ascii_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool valid_param_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name.front() >= '0' && name.front() <= '9') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_ascii_alnum(c) || c == '_'; });
}

bool is_builtin_placeholder(std::string_view name) {
  return std::find(std::begin(kBuiltinPlaceholders), std::end(kBuiltinPlaceholders), name) !=
         std::end(kBuiltinPlaceholders);
}

// ---------------------------------------------------------------------------
// Message helpers

namespace detail {

namespace {
bool is_identifier(std::string_view key) { return valid_param_name(key); }

std::string dump_lenient(const json& value) {
  // Specs built in code may hold invalid UTF-8; a message must never throw.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

std::string path_child(std::string_view parent, std::string_view key) {
  if (is_identifier(key)) return std::string(parent) + "." + std::string(key);
  return std::string(parent) + "[" + json_quote(key) + "]";
}

std::string path_index(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string json_quote(std::string_view text) { return dump_lenient(json(std::string(text))); }

std::string describe_json(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer " + v.dump();
    case json::value_t::number_float: return "number " + v.dump();
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      return "string " + (s.size() > 40 ? json_quote(s.substr(0, 37)) + "..." : json_quote(s));
    }
    case json::value_t::array: return "a list";
    case json::value_t::object: return "an object";
    default: return "a " + std::string(v.type_name());
  }
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

namespace {
// Optimal string alignment distance: Levenshtein plus swapped neighbours
// ("tyo" -> "toy" is one edit), the commonest typo.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t w = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * w);
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * w + j]; };
  for (std::size_t i = 0; i <= a.size(); ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= b.size(); ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(a.size(), b.size());
}
}  // namespace

std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates) {
  // Typos are a letter or two; beyond that a suggestion is noise.
  std::size_t best = std::max<std::size_t>(1, std::min<std::size_t>(2, given.size() / 3)) + 1;
  const std::string* pick = nullptr;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(given, c);
    if (d < best) {
      best = d;
      pick = &c;
    }
  }
  return pick ? " (did you mean " + json_quote(*pick) + "?)" : "";
}

std::string format_number(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<std::int64_t>(value));
  return dump_lenient(json(value));
}

}  // namespace detail

const ParamSchema* KindSchema::param(std::string_view param_name) const {
  for (const auto& p : params)
    if (p.name == param_name) return &p;
  return nullptr;
}

// ---------------------------------------------------------------------------
// Values

namespace {

// argv strings cannot carry NUL, and every parameter ends up in an argv.
bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::optional<std::string> check_plain_string(const json& value) {
  if (!value.is_string()) return "expected a string, got " + describe_json(value);
  if (has_nul(value.get_ref<const std::string&>())) return std::string("must not contain a NUL character");
  return std::nullopt;
}

std::string range_text(const ParamSchema& p) {
  std::string unit = p.unit.empty() ? "" : " " + p.unit;
  if (p.min && p.max) return "between " + format_number(*p.min) + " and " + format_number(*p.max) + unit;
  if (p.min) return "at least " + format_number(*p.min) + unit;
  return "at most " + format_number(*p.max) + unit;
}

}  // namespace

ValueCheck check_value(const ParamSchema& p, const json& value) {
  ValueCheck out;
  auto fail = [&](std::string message, std::string rel = "") {
    out.errors.push_back(Issue{std::move(rel), std::move(message)});
    out.value = json();
    return out;
  };

  switch (p.type) {
    case ParamType::Int: {
      // 1e6 is a float in JSON but plainly meant as an integer; accept any
      // integral number that fits, and store it as an integer.
      std::optional<std::int64_t> v;
      if (value.is_number_unsigned()) {
        if (value.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) v = value.get<std::int64_t>();
      } else if (value.is_number_integer()) {
        v = value.get<std::int64_t>();
      } else if (value.is_number_float()) {
        double d = value.get<double>();
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) v = static_cast<std::int64_t>(d);
        else return fail("expected an integer, got " + describe_json(value));
      } else {
        return fail("expected an integer, got " + describe_json(value));
      }
      if (!v) return fail("integer " + value.dump() + " is too large");
      auto d = static_cast<double>(*v);
      if ((p.min && d < *p.min) || (p.max && d > *p.max))
        return fail("must be " + range_text(p) + ", got " + std::to_string(*v));
      out.value = *v;
      return out;
    }
    case ParamType::Float: {
      if (!value.is_number()) return fail("expected a number, got " + describe_json(value));
      double d = value.get<double>();
      if ((p.min && d < *p.min) || (p.max && d > *p.max))
        return fail("must be " + range_text(p) + ", got " + format_number(d));
      out.value = d;
      return out;
    }
    case ParamType::Bool:
      if (!value.is_boolean()) return fail("expected true or false, got " + describe_json(value));
      out.value = value;
      return out;
    case ParamType::String:
      if (auto e = check_plain_string(value)) return fail(*e);
      out.value = value;
      return out;
    case ParamType::Choice: {
      if (auto e = check_plain_string(value)) return fail(*e);
      const auto& s = value.get_ref<const std::string&>();
      if (std::find(p.choices.begin(), p.choices.end(), s) == p.choices.end())
        return fail(json_quote(s) + " is not one of: " + join(p.choices, ", ") + did_you_mean(s, p.choices));
      out.value = value;
      return out;
    }
    case ParamType::StringList: {
      if (!value.is_array()) return fail("expected a list of strings, got " + describe_json(value));
      auto n = static_cast<double>(value.size());
      if (p.min && n < *p.min)
        return fail("needs at least " + format_number(*p.min) + (*p.min == 1 ? " element" : " elements") + ", got " +
                    std::to_string(value.size()));
      if (p.max && n > *p.max)
        return fail("takes at most " + format_number(*p.max) + (*p.max == 1 ? " element" : " elements") + ", got " +
                    std::to_string(value.size()));
      for (std::size_t i = 0; i < value.size(); ++i)
        if (auto e = check_plain_string(value[i]))
          out.errors.push_back(Issue{"[" + std::to_string(i) + "]", *e});
      out.value = out.errors.empty() ? value : json();
      return out;
    }
  }
  return fail("unsupported parameter type");
}

// ---------------------------------------------------------------------------
// Command templates

std::vector<TemplatePart> split_template(std::string_view element) {
  std::vector<TemplatePart> parts;
  std::string literal;
  auto flush_literal = [&] {
    if (!literal.empty()) parts.push_back(TemplatePart{false, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < element.size(); ++i) {
    char c = element[i];
    if (c == '{' && i + 1 < element.size() && element[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < element.size() && element[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '{') {
      auto close = element.find('}', i + 1);
      if (close == std::string_view::npos)
        throw std::invalid_argument("unclosed '{' at offset " + std::to_string(i) + " (write '{{' for a literal brace)");
      std::string name(element.substr(i + 1, close - i - 1));
      if (name.empty()) throw std::invalid_argument("empty placeholder '{}'");
      if (!valid_param_name(name))
        throw std::invalid_argument("placeholder " + json_quote("{" + name + "}") +
                                    " is not a parameter name (letters, digits and '_')");
      flush_literal();
      parts.push_back(TemplatePart{true, std::move(name)});
      i = close;
    } else if (c == '}') {
      throw std::invalid_argument("stray '}' at offset " + std::to_string(i) + " (write '}}' for a literal brace)");
    } else {
      literal += c;
    }
  }
  flush_literal();
  return parts;
}

// ---------------------------------------------------------------------------
// Manifests

namespace {

// Collects problems for one manifest; every check records and carries on so
// the author sees all problems in one go.
class ManifestReader {
 public:
  ManifestReader(const std::filesystem::path& file, std::vector<Issue>* problems) : file_(file), problems_(problems) {}

  bool ok() const { return ok_; }

  void problem(std::string path, std::string message) {
    ok_ = false;
    if (problems_) problems_->push_back(Issue{std::move(path), std::move(message), file_});
  }

  void reject_unknown_keys(const json& obj, const std::string& path, const std::vector<std::string>& allowed) {
    for (const auto& item : obj.items())
      if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
        problem(path_child(path, item.key()), "unknown key " + json_quote(item.key()) + " (allowed: " + join(allowed, ", ") +
                                                  ")" + did_you_mean(item.key(), allowed));
  }

  // Returns the string at obj[key]; nullopt when absent (a problem if required) or mistyped.
  std::optional<std::string> string_at(const json& obj, const std::string& path, const std::string& key, bool required) {
    auto it = obj.find(key);
    std::string where = path_child(path, key);
    if (it == obj.end()) {
      if (required) problem(where, "missing required key " + json_quote(key));
      return std::nullopt;
    }
    if (!it->is_string()) {
      problem(where, "expected a string, got " + describe_json(*it));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<double> number_at(const json& obj, const std::string& path, const std::string& key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (!it->is_number()) {
      problem(path_child(path, key), "expected a number, got " + describe_json(*it));
      return std::nullopt;
    }
    return it->get<double>();
  }

  std::optional<int> rank_count_at(const json& obj, const std::string& path, const std::string& key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 1'000'000) {
      problem(path_child(path, key), "expected a rank count (an integer from 1 to 1000000), got " + describe_json(*it));
      return std::nullopt;
    }
    return it->get<int>();
  }

  // A list of unique, non-empty strings.
  std::vector<std::string> names_at(const json& obj, const std::string& path, const std::string& key, bool allow_slash) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end()) return out;
    std::string where = path_child(path, key);
    if (!it->is_array()) {
      problem(where, "expected a list of strings, got " + describe_json(*it));
      return out;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& v = (*it)[i];
      std::string at = path_index(where, i);
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
        problem(at, "expected a non-empty string, got " + describe_json(v));
        continue;
      }
      const auto& s = v.get_ref<const std::string&>();
      if (!allow_slash && s.find('/') != std::string::npos) {
        problem(at, json_quote(s) + " must not contain '/'");
        continue;
      }
      if (std::find(out.begin(), out.end(), s) != out.end()) {
        problem(at, "duplicate entry " + json_quote(s));
        continue;
      }
      out.push_back(s);
    }
    return out;
  }

 private:
  const std::filesystem::path& file_;
  std::vector<Issue>* problems_;
  bool ok_ = true;
};

std::optional<ParamSchema> parse_param(ManifestReader& r, const json& j, const std::string& path) {
  if (!j.is_object()) {
    r.problem(path, "expected a parameter object, got " + describe_json(j));
    return std::nullopt;
  }
  r.reject_unknown_keys(j, path, {"name", "type", "default", "min", "max", "choices", "help", "unit"});
  bool ok = true;
  ParamSchema p;
  if (auto name = r.string_at(j, path, "name", true)) {
    p.name = *name;
    if (!valid_param_name(p.name)) {
      r.problem(path_child(path, "name"), "invalid parameter name " + json_quote(p.name) +
                                              ": use letters, digits and '_', not starting with a digit");
      ok = false;
    } else if (is_builtin_placeholder(p.name)) {
      r.problem(path_child(path, "name"), json_quote(p.name) + " is reserved for a built-in placeholder (" +
                                              join(std::vector<std::string>(std::begin(kBuiltinPlaceholders),
                                                                            std::end(kBuiltinPlaceholders)),
                                                   ", ") +
                                              ")");
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto type = r.string_at(j, path, "type", true)) {
    if (auto t = param_type_from_string(*type)) {
      p.type = *t;
    } else {
      std::vector<std::string> names;
      for (const auto& [t2, n] : kTypeNames) names.emplace_back(n);
      r.problem(path_child(path, "type"),
                "unknown parameter type " + json_quote(*type) + " (one of: " + join(names, ", ") + ")" + did_you_mean(*type, names));
      ok = false;
    }
  } else {
    ok = false;
  }
  p.help = r.string_at(j, path, "help", false).value_or("");
  p.unit = r.string_at(j, path, "unit", false).value_or("");
  if (!ok) return std::nullopt;  // the remaining checks depend on the type

  // Bounds are inclusive; for a string_list they bound the number of elements.
  bool bounded = p.type == ParamType::Int || p.type == ParamType::Float || p.type == ParamType::StringList;
  for (const char* key : {"min", "max"}) {
    if (!j.contains(key)) continue;
    if (!bounded) {
      r.problem(path_child(path, key), std::string("\"") + key + "\" applies only to int, float and string_list parameters");
      continue;
    }
    auto v = r.number_at(j, path, key);
    if (v && p.type != ParamType::Float && *v != std::trunc(*v)) {
      r.problem(path_child(path, key), "must be an integer for type " + std::string(to_string(p.type)) +
                                           ", got " + format_number(*v));
      v.reset();
    }
    if (v && p.type == ParamType::StringList && *v < 0) {
      r.problem(path_child(path, key), "an element count cannot be negative, got " + format_number(*v));
      v.reset();
    }
    (std::string_view(key) == "min" ? p.min : p.max) = v;
  }
  if (p.min && p.max && *p.min > *p.max)
    r.problem(path_child(path, "max"), "max " + format_number(*p.max) + " is below min " + format_number(*p.min));

  if (p.type == ParamType::Choice) {
    if (!j.contains("choices")) r.problem(path_child(path, "choices"), "missing required key \"choices\" for a choice parameter");
    p.choices = r.names_at(j, path, "choices", true);
    if (j.contains("choices") && p.choices.empty() && j["choices"].is_array())
      r.problem(path_child(path, "choices"), "a choice parameter needs at least one choice");
  } else if (j.contains("choices")) {
    r.problem(path_child(path, "choices"), "\"choices\" applies only to choice parameters");
  }

  if (auto it = j.find("default"); it != j.end()) {
    // A null default would read as "required"; say so instead of accepting it silently.
    if (it->is_null()) {
      r.problem(path_child(path, "default"), "null is not a default; leave \"default\" out to make the parameter required");
    } else {
      auto checked = check_value(p, *it);
      for (auto& e : checked.errors) r.problem(path_child(path, "default") + e.path, "default " + e.message);
      p.default_value = checked.value;
    }
  }
  return p;
}

void check_command_template(ManifestReader& r, const KindSchema& k) {
  std::set<std::string> used;
  for (std::size_t i = 0; i < k.command.size(); ++i) {
    std::string at = path_index("$.command", i);
    std::vector<TemplatePart> parts;
    try {
      parts = split_template(k.command[i]);
    } catch (const std::invalid_argument& e) {
      r.problem(at, e.what());
      continue;
    }
    if (i == 0 && parts.empty()) r.problem(at, "the program (first element) must not be empty");
    for (const auto& part : parts) {
      if (!part.placeholder) continue;
      used.insert(part.text);
      if (is_builtin_placeholder(part.text)) continue;
      const ParamSchema* p = k.param(part.text);
      if (!p) {
        std::vector<std::string> known(std::begin(kBuiltinPlaceholders), std::end(kBuiltinPlaceholders));
        for (const auto& q : k.params) known.push_back(q.name);
        r.problem(at, "unknown placeholder " + json_quote("{" + part.text + "}") + " (known: " + join(known, ", ") + ")" +
                          did_you_mean(part.text, known));
      } else if (p->type == ParamType::StringList && parts.size() != 1) {
        r.problem(at, "string_list parameter " + json_quote(p->name) + " must be a whole template element, \"{" + p->name +
                          "}\", because it expands into several arguments");
      }
    }
  }
  for (std::size_t i = 0; i < k.params.size(); ++i)
    if (!used.contains(k.params[i].name))
      r.problem(path_index("$.params", i), "parameter " + json_quote(k.params[i].name) +
                                                " is not used by the command template, so it would have no effect");
}

}  // namespace

std::optional<KindSchema> parse_kind(const json& m, const std::filesystem::path& source, std::vector<Issue>* problems) {
  ManifestReader r(source, problems);
  if (!m.is_object()) {
    r.problem("$", "a kind manifest must be a JSON object, got " + describe_json(m));
    return std::nullopt;
  }
  r.reject_unknown_keys(m, "$", {"name", "title", "description", "runner", "worker", "command", "params", "metrics",
                                 "progress_metric", "ranks"});
  KindSchema k;
  k.source = source;

  if (auto name = r.string_at(m, "$", "name", true)) {
    k.name = *name;
    if (!valid_run_name(k.name))
      r.problem("$.name", "invalid kind name " + json_quote(k.name) +
                              ": use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  k.title = r.string_at(m, "$", "title", false).value_or(k.name);
  k.description = r.string_at(m, "$", "description", false).value_or("");

  auto runner = r.string_at(m, "$", "runner", true);
  if (runner && *runner != "worker" && *runner != "command") {
    r.problem("$.runner", "expected \"worker\" or \"command\", got " + json_quote(*runner));
    runner.reset();
  }
  if (runner) k.runner = *runner == "worker" ? Runner::Worker : Runner::Command;

  if (auto it = m.find("params"); it != m.end()) {
    if (!it->is_array()) {
      r.problem("$.params", "expected a list of parameter objects, got " + describe_json(*it));
    } else {
      for (std::size_t i = 0; i < it->size(); ++i) {
        std::string at = path_index("$.params", i);
        auto p = parse_param(r, (*it)[i], at);
        if (!p) continue;
        if (k.param(p->name)) {
          r.problem(path_child(at, "name"), "duplicate parameter " + json_quote(p->name));
          continue;
        }
        k.params.push_back(std::move(*p));
      }
    }
  }

  if (runner) {
    const char* mine = k.runner == Runner::Worker ? "worker" : "command";
    const char* other = k.runner == Runner::Worker ? "command" : "worker";
    if (m.contains(other))
      r.problem(path_child("$", other), std::string("\"") + other + "\" applies only to runner \"" + other + "\"");
    if (!m.contains(mine)) r.problem(path_child("$", mine), std::string("missing required key \"") + mine + "\" for runner \"" + mine + "\"");
  }
  if (runner && k.runner == Runner::Worker) {
    if (auto w = r.string_at(m, "$", "worker", false)) {
      k.worker = *w;
      if (w->empty() || *w == "." || *w == ".." || w->find('/') != std::string::npos || has_nul(*w))
        r.problem("$.worker", "expected the worker's executable name in the bin directory (no '/'), got " + json_quote(*w));
    }
  }
  if (runner && k.runner == Runner::Command && m.contains("command")) {
    const json& c = m["command"];
    if (!c.is_array() || c.empty()) {
      r.problem("$.command", "expected a non-empty list of strings (the argv template), got " + describe_json(c));
    } else {
      bool strings = true;
      for (std::size_t i = 0; i < c.size(); ++i) {
        if (!c[i].is_string()) {
          r.problem(path_index("$.command", i), "expected a string, got " + describe_json(c[i]));
          strings = false;
        } else if (has_nul(c[i].get_ref<const std::string&>())) {
          r.problem(path_index("$.command", i), "must not contain a NUL character");
          strings = false;
        }
      }
      if (strings) {
        k.command = c.get<std::vector<std::string>>();
        check_command_template(r, k);
      }
    }
  }

  k.metrics = r.names_at(m, "$", "metrics", false);
  if (auto pm = r.string_at(m, "$", "progress_metric", false)) {
    k.progress_metric = *pm;
    if (std::find(k.metrics.begin(), k.metrics.end(), *pm) == k.metrics.end())
      r.problem("$.progress_metric", json_quote(*pm) + " is not one of the kind's metrics (" + join(k.metrics, ", ") + ")");
  }

  if (auto it = m.find("ranks"); it != m.end()) {
    if (!it->is_object()) {
      r.problem("$.ranks", "expected an object {\"min\", \"max\", \"default\"}, got " + describe_json(*it));
    } else {
      r.reject_unknown_keys(*it, "$.ranks", {"min", "max", "default"});
      auto lo = r.rank_count_at(*it, "$.ranks", "min");
      auto hi = r.rank_count_at(*it, "$.ranks", "max");
      auto def = r.rank_count_at(*it, "$.ranks", "default");
      k.min_ranks = lo.value_or(1);
      k.max_ranks = hi.value_or(std::max(1024, k.min_ranks));
      if (k.min_ranks > k.max_ranks)
        r.problem("$.ranks.max", "max " + std::to_string(k.max_ranks) + " is below min " + std::to_string(k.min_ranks));
      k.default_ranks = def.value_or(std::clamp(2, k.min_ranks, std::max(k.min_ranks, k.max_ranks)));
      if (def && (*def < k.min_ranks || *def > k.max_ranks))
        r.problem("$.ranks.default", "default " + std::to_string(*def) + " is outside min..max (" +
                                         std::to_string(k.min_ranks) + ".." + std::to_string(k.max_ranks) + ")");
    }
  }

  if (!r.ok()) return std::nullopt;
  return k;
}

}  // namespace orrery::spec
