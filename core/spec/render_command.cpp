#include "spec/render_command.hpp"

#include <optional>
#include <stdexcept>

namespace orrery::spec {

using nlohmann::json;

namespace {

const json& value_of(const ParamSchema& p, const Spec& spec) {
  auto it = spec.params.find(p.name);
  const json& v = it != spec.params.end() ? *it : p.default_value;
  if (v.is_null()) throw std::invalid_argument("no value for parameter " + detail::json_quote(p.name) + " (spec not validated?)");
  return v;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();   // integers exactly; floats shortest round-trip ("0.1", "1e-05")
  throw std::invalid_argument("cannot pass " + detail::describe_json(v) + " as a single argument");
}

std::vector<std::string> render_worker(const KindSchema& kind, const Spec& spec, const RenderContext& ctx) {
  std::vector<std::string> argv{(ctx.bin_dir / kind.worker).string()};
  for (const auto& p : kind.params) {
    const json& v = value_of(p, spec);
    if (p.type == ParamType::StringList) {
      for (const auto& item : v) argv.push_back("--" + p.name + "=" + scalar_text(item));
    } else {
      argv.push_back("--" + p.name + "=" + scalar_text(v));
    }
  }
  return argv;
}

std::vector<std::string> render_template(const KindSchema& kind, const Spec& spec, const RenderContext& ctx) {
  auto builtin = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "bin") return ctx.bin_dir.string();
    if (name == "share") return ctx.share_dir.string();
    if (name == "project") return ctx.project_dir.string();
    if (name == "run_dir") return ctx.run_dir.string();
    if (name == "ranks") return std::to_string(spec.ranks);
    return std::nullopt;
  };

  std::vector<std::string> argv;
  for (const auto& element : kind.command) {
    auto parts = split_template(element);
    if (parts.size() == 1 && parts[0].placeholder) {
      if (const ParamSchema* p = kind.param(parts[0].text); p && p->type == ParamType::StringList) {
        for (const auto& item : value_of(*p, spec)) argv.push_back(scalar_text(item));
        continue;
      }
    }
    std::string arg;
    for (const auto& part : parts) {
      if (!part.placeholder) {
        arg += part.text;
      } else if (auto b = builtin(part.text)) {
        arg += *b;
      } else if (const ParamSchema* p = kind.param(part.text)) {
        if (p->type == ParamType::StringList)
          throw std::invalid_argument("string_list parameter " + detail::json_quote(p->name) +
                                      " must be a whole template element in " + detail::json_quote(element));
        arg += scalar_text(value_of(*p, spec));
      } else {
        throw std::invalid_argument("unknown placeholder {" + part.text + "} in " + detail::json_quote(element) +
                                    " (kind " + detail::json_quote(kind.name) + ")");
      }
    }
    argv.push_back(std::move(arg));
  }
  if (argv.empty() || argv.front().empty())
    throw std::invalid_argument("kind " + detail::json_quote(kind.name) + " renders to a command with no program");
  return argv;
}

}  // namespace

std::vector<std::string> render_command(const KindSchema& kind, const Spec& spec, const RenderContext& ctx) {
  return kind.runner == Runner::Worker ? render_worker(kind, spec, ctx) : render_template(kind, spec, ctx);
}

}  // namespace orrery::spec
