// Failures in a decentralized run: which nodes and links are down in a round.
//
//   crashes   : each up node crashes with probability crash_prob per round and stays down
//               for crash_rounds rounds, then rejoins with the model it had.
//   links     : each link is down with probability link_failure_prob in a round.
//   disaster  : the nodes [0, disaster_fraction x nodes) - a contiguous region of the
//               ring-like numbering - lose every link to the rest of the network for
//               rounds [disaster_start, disaster_start + disaster_rounds), then reconnect.
// Every draw depends on (seed, round, node or link) only, so every rank sees the same outages.
#pragma once

#include <cstdint>
#include <vector>

#include "fed/topology.hpp"

namespace orrery::fed {

struct OutageConfig {
  double crash_prob = 0;
  std::int64_t crash_rounds = 1;
  double link_failure_prob = 0;
  double disaster_fraction = 0;
  std::int64_t disaster_start = 0;
  std::int64_t disaster_rounds = 0;
};

struct Outages {
  std::vector<bool> node_down;
  Topology active;            // the links up this round (none at a down node)
  std::size_t links_down = 0;
};

bool disaster_active(const OutageConfig& c, std::int64_t round);
// Which of n nodes (or clients) are down in `round` after crashes (crash_prob, crash_rounds).
std::vector<bool> crashed_nodes(const OutageConfig& c, std::size_t n, std::uint64_t seed, std::int64_t round);
Outages outages_at(const OutageConfig& c, const Topology& topology, std::uint64_t seed, std::int64_t round);

}  // namespace orrery::fed
