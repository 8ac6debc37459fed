// Parsing a parameter's choice (a name from kind.json's "choices") into its enum.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace orrery::fed {

// Returns the value named `name` among `options`; throws std::invalid_argument
// "unknown <what> '<name>' (a, b, c)" otherwise.
template <class E>
E parse_choice(std::string_view what, std::string_view name,
               std::initializer_list<std::pair<std::string_view, E>> options) {
  std::string names;
  for (const auto& [n, value] : options) {
    if (n == name) return value;
    names += (names.empty() ? "" : ", ") + std::string(n);
  }
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(name) + "' (" + names + ")");
}

}  // namespace orrery::fed
