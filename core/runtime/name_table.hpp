// Interned metric names: the hot path carries a 32-bit id, the sender turns it back into a name.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orrery::runtime {

class NameTable {
 public:
  std::uint32_t intern(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = ids_.find(name);   // heterogeneous: no std::string built per lookup
    if (it != ids_.end()) return it->second;
    auto id = static_cast<std::uint32_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }
  std::string name(std::uint32_t id) const {
    std::lock_guard lock(mutex_);
    return id < names_.size() ? names_[id] : std::string();
  }
  // Copies names [from, size) into out, so the sender can refresh its private copy cheaply.
  void append_new(std::vector<std::string>& out) const {
    std::lock_guard lock(mutex_);
    for (std::size_t i = out.size(); i < names_.size(); ++i) out.push_back(names_[i]);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> names_;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;
};

}  // namespace orrery::runtime
