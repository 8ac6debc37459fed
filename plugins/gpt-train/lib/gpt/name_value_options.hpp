// Workers' parameters as --name=value options (the agent passes every parameter of a
// kind.json that way): number parsing with the option's name in the error, setters for
// fields, and the loop over the arguments. Shared by gpt-train's and gpt-serve's workers.
#pragma once

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace orrery::gpt {

inline std::invalid_argument option_error(std::string_view name, const std::string& why) {
  return std::invalid_argument("--" + std::string(name) + ": " + why);
}

// The whole of text as a T ("--rate: expects a number, got 'fast'"); floats must be finite.
template <class T>
T parse_option_number(std::string_view name, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw option_error(name, std::string(std::is_integral_v<T> ? "expects an integer" : "expects a number") + ", got '" +
                                 std::string(text) + "'");
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(v)) throw option_error(name, "expects a finite number");
  return v;
}

using OptionSetter = std::function<void(std::string_view name, std::string_view value)>;
using OptionSetters = std::map<std::string, OptionSetter, std::less<>>;

template <class T>
OptionSetter number_option(T& field) {
  return [&field](std::string_view n, std::string_view t) { field = parse_option_number<T>(n, t); };
}
inline OptionSetter text_option(std::string& field) {
  return [&field](std::string_view, std::string_view t) { field = t; };
}

// Applies every --name=value of args through its setter. Returns true, having applied
// nothing after it, when --help or -h is among them. Throws std::invalid_argument for an
// argument of another form or an unknown name.
inline bool apply_options(std::span<char* const> args, const OptionSetters& setters) {
  for (const char* a : args) {
    const std::string_view arg(a);
    if (arg == "--help" || arg == "-h") return true;
    const auto eq = arg.find('=');
    if (!arg.starts_with("--") || eq == std::string_view::npos)
      throw std::invalid_argument("expected --name=value, got '" + std::string(arg) + "'");
    const auto name = arg.substr(2, eq - 2);
    const auto it = setters.find(name);
    if (it == setters.end()) throw std::invalid_argument("unknown option --" + std::string(name));
    it->second(name, arg.substr(eq + 1));
  }
  return false;
}

}  // namespace orrery::gpt
