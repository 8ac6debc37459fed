#include "fed/sampling.hpp"

#include <algorithm>
#include <numeric>

#include "fed/rng.hpp"

namespace orrery::fed {

std::vector<std::size_t> sample_clients(std::size_t clients, std::size_t per_round, std::uint64_t seed,
                                        std::int64_t round, Stream purpose) {
  std::vector<std::size_t> ids(clients);
  std::iota(ids.begin(), ids.end(), std::size_t{0});
  if (per_round >= clients) return ids;
  // Partial Fisher-Yates: the first per_round positions are a uniform sample.
  Rng rng(seed, purpose, static_cast<std::uint64_t>(round));
  for (std::size_t i = 0; i < per_round; ++i) std::swap(ids[i], ids[i + static_cast<std::size_t>(rng.below(clients - i))]);
  ids.resize(per_round);
  std::sort(ids.begin(), ids.end());
  return ids;
}

int RankBlocks::owner(std::size_t client) const {
  // first() is monotone in rank: binary search for the last rank whose block starts at or before client.
  int lo = 0, hi = ranks - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (first(mid) <= client) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

}  // namespace orrery::fed
