#include "logs/token_table.hpp"

#include "logs/log_masking.hpp"

namespace orrery::logs {

TokenTable::TokenTable() { intern(kWildcard); }

std::uint32_t TokenTable::find(std::string_view token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kAbsent : it->second;
}

std::uint32_t TokenTable::intern(std::string_view token) {
  auto it = ids_.find(token);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(texts_.size());
  auto inserted = ids_.emplace(std::string(token), id).first;
  texts_.push_back(&inserted->first);
  return id;
}

}  // namespace orrery::logs
