// Contiguous ranges of the flat parameter array: the slice of the parameters whose AdamW
// moments (and update) one rank owns under ZeRO-1 sharding, and the pieces of a tensor or
// a gradient bucket that fall in it. Rank r of n owns [total*r/n, total*(r+1)/n), so the
// slices are in rank order, cover the array once and differ in size by at most one float.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace orrery::gpt {

struct ShardRange {
  std::size_t first = 0, count = 0;
  std::size_t end() const { return first + count; }
  bool operator==(const ShardRange&) const = default;
};

inline ShardRange shard_of(std::size_t total, int ranks, int rank) {
  const auto n = static_cast<std::size_t>(ranks), r = static_cast<std::size_t>(rank);
  const std::size_t first = total * r / n, end = total * (r + 1) / n;
  return {first, end - first};
}

// Every rank's slice, in rank order.
inline std::vector<ShardRange> shards_of(std::size_t total, int ranks) {
  std::vector<ShardRange> s;
  for (int r = 0; r < ranks; ++r) s.push_back(shard_of(total, ranks, r));
  return s;
}

// The common part of a and b (count 0 when they do not meet).
inline ShardRange intersect(ShardRange a, ShardRange b) {
  const std::size_t first = std::max(a.first, b.first), end = std::min(a.end(), b.end());
  return end > first ? ShardRange{first, end - first} : ShardRange{first, 0};
}

}  // namespace orrery::gpt
