#include "fed/outages.hpp"

#include <algorithm>
#include <cmath>

#include "fed/rng.hpp"

namespace orrery::fed {

bool disaster_active(const OutageConfig& c, std::int64_t round) {
  return c.disaster_fraction > 0 && round >= c.disaster_start && round < c.disaster_start + c.disaster_rounds;
}

std::vector<bool> crashed_nodes(const OutageConfig& c, std::size_t n, std::uint64_t seed, std::int64_t round) {
  std::vector<bool> down(n, false);
  if (c.crash_prob <= 0) return down;
  // Down now if it crashed in one of the last crash_rounds rounds (a crash draw per node and round).
  for (std::size_t k = 0; k < n; ++k)
    for (std::int64_t r = std::max<std::int64_t>(1, round - c.crash_rounds + 1); r <= round && !down[k]; ++r)
      down[k] = Rng(seed, Stream::failure, k, static_cast<std::uint64_t>(r)).uniform() < c.crash_prob;
  return down;
}

Outages outages_at(const OutageConfig& c, const Topology& topology, std::uint64_t seed, std::int64_t round) {
  const std::size_t n = topology.nodes();
  Outages out;
  out.node_down = crashed_nodes(c, n, seed, round);
  const auto region = static_cast<std::size_t>(std::floor(c.disaster_fraction * static_cast<double>(n)));
  const bool cut = disaster_active(c, round);
  out.active.neighbours.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j : topology.neighbours[i]) {
      if (j < i) continue;   // each undirected link once
      bool up = !out.node_down[i] && !out.node_down[j];
      if (cut && ((i < region) != (j < region))) up = false;
      // Link draws live past the node ids (offset n) so they never share a node's stream.
      if (up && c.link_failure_prob > 0 &&
          Rng(seed, Stream::failure, n + i * n + j, static_cast<std::uint64_t>(round)).uniform() < c.link_failure_prob)
        up = false;
      if (up) {
        out.active.neighbours[i].push_back(j);
        out.active.neighbours[j].push_back(i);
      } else {
        ++out.links_down;
      }
    }
  for (auto& l : out.active.neighbours) std::sort(l.begin(), l.end());
  return out;
}

}  // namespace orrery::fed
