// The updates of one round, as the aggregator sees them: one row per
// participating client, in client-id order (the order that makes a run's
// arithmetic, and so its results, the same on any number of ranks).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace orrery::fed {

struct UpdateView {
  std::span<const float> data;   // (clients, params) row-major
  std::size_t params = 0;

  std::size_t clients() const { return params ? data.size() / params : 0; }
  std::span<const float> row(std::size_t k) const { return data.subspan(k * params, params); }
};

}  // namespace orrery::fed
