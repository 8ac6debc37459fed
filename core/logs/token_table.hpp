// Interned tokens for the template parser: templates and the prefix tree hold 32-bit ids,
// so comparing a line with a template compares integers, not strings.
//
// A line's tokens are only looked up (find), never added: a token that no template or
// tree node holds cannot equal any of them, so it needs no id. Only what the parser
// keeps is interned, and the table grows with the templates, not with the input.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orrery::logs {

class TokenTable {
 public:
  static constexpr std::uint32_t kWildcardId = 0;        // "<*>", interned first
  static constexpr std::uint32_t kAbsent = UINT32_MAX;   // find(): never interned

  TokenTable();
  TokenTable(const TokenTable&) = delete;  // texts_ points into ids_' nodes
  TokenTable& operator=(const TokenTable&) = delete;
  TokenTable(TokenTable&&) = default;
  TokenTable& operator=(TokenTable&&) = default;

  std::uint32_t find(std::string_view token) const;
  std::uint32_t intern(std::string_view token);
  std::string_view text(std::uint32_t id) const { return *texts_[id]; }
  std::size_t size() const { return texts_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<const std::string*> texts_;  // id -> the key in ids_ (node-based: the address is stable)
};

}  // namespace orrery::logs
