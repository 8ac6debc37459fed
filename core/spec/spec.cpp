#include "spec/spec.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::spec {

using nlohmann::json;
using namespace detail;

namespace {

const std::vector<std::string> kTopLevelKeys = {"kind", "name", "ranks", "target", "tags", "params"};

// A rank count as written in a document: an integer (or an integral number
// such as 4.0) of at least 1. Returns the count, or records why not.
std::optional<int> read_rank_count(const json& v, std::string& why) {
  double d = 0;
  if (v.is_number_integer() || v.is_number_unsigned() || v.is_number_float()) d = v.get<double>();
  if (!v.is_number() || !std::isfinite(d) || d != std::trunc(d)) {
    why = "expected an integer rank count, got " + describe_json(v);
    return std::nullopt;
  }
  if (d < 1) {
    why = "must be at least 1, got " + format_number(d);
    return std::nullopt;
  }
  if (d > 1'000'000) {
    why = "must be at most 1000000, got " + format_number(d);
    return std::nullopt;
  }
  return static_cast<int>(d);
}

class SpecValidator {
 public:
  SpecValidator(const KindCatalog& kinds, std::optional<int> ranks_override)
      : kinds_(kinds), ranks_override_(ranks_override) {}

  Validation run(const json& doc) {
    if (!doc.is_object()) {
      error("$", "a spec must be a JSON object, got " + describe_json(doc));
      return finish();
    }
    for (const auto& item : doc.items())
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), item.key()) == kTopLevelKeys.end())
        error(path_child("$", item.key()), "unknown key " + json_quote(item.key()) + " (allowed: " + join(kTopLevelKeys, ", ") +
                                               ")" + did_you_mean(item.key(), kTopLevelKeys));
    check_kind(doc);
    check_name(doc);
    check_target(doc);
    check_tags(doc);
    check_ranks(doc);
    check_params(doc);
    return finish();
  }

 private:
  void error(std::string path, std::string message) { errors_.push_back(Issue{std::move(path), std::move(message)}); }

  Validation finish() {
    Validation v;
    v.errors = std::move(errors_);
    if (v.errors.empty()) v.spec = std::move(spec_);
    return v;
  }

  std::string known_kinds() const {
    auto names = kinds_.names();
    return names.empty() ? "no job kinds are installed" : "known: " + join(names, ", ");
  }

  void check_kind(const json& doc) {
    auto it = doc.find("kind");
    if (it == doc.end()) {
      error("$.kind", "missing required key \"kind\" (" + known_kinds() + ")");
    } else if (!it->is_string()) {
      error("$.kind", "expected the name of a job kind, got " + describe_json(*it));
    } else if (!(kind_ = kinds_.find(it->get_ref<const std::string&>()))) {
      const auto& name = it->get_ref<const std::string&>();
      error("$.kind", "unknown job kind " + json_quote(name) + did_you_mean(name, kinds_.names()) + " (" + known_kinds() + ")");
    } else {
      spec_.kind = kind_->name;
    }
  }

  void check_name(const json& doc) {
    auto it = doc.find("name");
    if (it == doc.end()) {
      if (kind_) spec_.name = kind_->name;
      return;
    }
    if (!it->is_string()) {
      error("$.name", "expected a run name (a string), got " + describe_json(*it));
    } else if (!valid_run_name(it->get_ref<const std::string&>())) {
      error("$.name", "invalid run name " + json_quote(it->get_ref<const std::string&>()) +
                          ": use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
                          "(it becomes part of the run's directory name)");
    } else {
      spec_.name = it->get<std::string>();
    }
  }

  void check_target(const json& doc) {
    auto it = doc.find("target");
    if (it == doc.end()) return;
    std::vector<std::string> known(std::begin(kKnownTargets), std::end(kKnownTargets));
    if (!it->is_string()) {
      error("$.target", "expected a target name (a string), got " + describe_json(*it));
    } else if (std::find(known.begin(), known.end(), it->get_ref<const std::string&>()) == known.end()) {
      error("$.target", "unknown target " + json_quote(it->get_ref<const std::string&>()) + " (known: " + join(known, ", ") + ")");
    } else {
      spec_.target = it->get<std::string>();
    }
  }

  void check_tags(const json& doc) {
    auto it = doc.find("tags");
    if (it == doc.end()) return;
    if (!it->is_array()) {
      error("$.tags", "expected a list of tags (strings), got " + describe_json(*it));
      return;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& tag = (*it)[i];
      std::string at = path_index("$.tags", i);
      if (!tag.is_string()) {
        error(at, "expected a tag (a string), got " + describe_json(tag));
      } else if (!valid_tag(tag.get_ref<const std::string&>())) {
        error(at, "invalid tag " + json_quote(tag.get_ref<const std::string&>()) +
                      ": use 1 to 64 letters, digits, spaces and . _ - : = + /, starting with a letter or digit");
      } else if (std::find(spec_.tags.begin(), spec_.tags.end(), tag.get_ref<const std::string&>()) != spec_.tags.end()) {
        error(at, "duplicate tag " + json_quote(tag.get_ref<const std::string&>()));
      } else {
        spec_.tags.push_back(tag.get<std::string>());
      }
    }
  }

  void check_ranks(const json& doc) {
    std::string why;
    std::optional<int> ranks;
    if (auto it = doc.find("ranks"); it != doc.end()) {
      ranks = read_rank_count(*it, why);
      if (!ranks) {
        error("$.ranks", why);
        return;
      }
    }
    const char* origin = "";
    if (ranks_override_) {
      origin = " (rank override)";
      if (*ranks_override_ < 1) {
        error("$.ranks", "must be at least 1, got " + std::to_string(*ranks_override_) + origin);
        return;
      }
      ranks = ranks_override_;
    }
    if (!kind_) return;
    spec_.ranks = ranks.value_or(kind_->default_ranks);
    if (spec_.ranks < kind_->min_ranks || spec_.ranks > kind_->max_ranks)
      error("$.ranks", "job kind " + json_quote(kind_->name) + " runs on " + std::to_string(kind_->min_ranks) + " to " +
                           std::to_string(kind_->max_ranks) + " ranks, got " + std::to_string(spec_.ranks) + origin);
  }

  void check_params(const json& doc) {
    json given = json::object();
    if (auto it = doc.find("params"); it != doc.end()) {
      if (!it->is_object()) {
        error("$.params", "expected an object of parameter values, got " + describe_json(*it));
        return;
      }
      given = *it;
    }
    if (!kind_) return;   // nothing to check the values against

    std::vector<std::string> names;
    for (const auto& p : kind_->params) names.push_back(p.name);
    for (const auto& item : given.items()) {
      std::string at = path_child("$.params", item.key());
      const ParamSchema* p = kind_->param(item.key());
      if (!p) {
        error(at, "unknown parameter " + json_quote(item.key()) + " for job kind " + json_quote(kind_->name) +
                      did_you_mean(item.key(), names) + " (parameters: " + (names.empty() ? "none" : join(names, ", ")) + ")");
        continue;
      }
      auto checked = check_value(*p, item.value());
      for (auto& e : checked.errors) error(at + e.path, e.message);
      if (checked.errors.empty()) spec_.params[p->name] = std::move(checked.value);
    }
    for (const auto& p : kind_->params) {
      if (given.contains(p.name)) continue;
      if (p.required())
        error(path_child("$.params", p.name), "missing required parameter " + json_quote(p.name) +
                                                  (p.help.empty() ? "" : " (" + p.help + ")"));
      else
        spec_.params[p.name] = p.default_value;
    }
  }

  const KindCatalog& kinds_;
  std::optional<int> ranks_override_;
  const KindSchema* kind_ = nullptr;
  Spec spec_;
  std::vector<Issue> errors_;
};

}  // namespace

json Spec::to_json() const {
  return json{{"kind", kind}, {"name", name}, {"target", target}, {"ranks", ranks}, {"tags", tags}, {"params", params}};
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 64 || !is_ascii_alnum(tag.front()) || tag.back() == ' ') return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return is_ascii_alnum(c) || c == ' ' || std::string_view("._-:=+/").find(c) != std::string_view::npos;
  });
}

Validation validate_spec(const json& spec, const KindCatalog& kinds, std::optional<int> ranks_override) {
  return SpecValidator(kinds, ranks_override).run(spec);
}

Validation load_spec_file(const std::filesystem::path& file, const KindCatalog& kinds, std::optional<int> ranks_override) {
  Validation v;
  auto doc = read_json_file(file, &v.errors);
  if (!doc) return v;
  v = validate_spec(*doc, kinds, ranks_override);
  for (auto& e : v.errors) e.file = file;
  return v;
}

}  // namespace orrery::spec
