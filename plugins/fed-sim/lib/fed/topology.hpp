// Communication graphs for decentralized learning, and their gossip weights.
//
//   ring           : node i talks to i - 1 and i + 1.
//   torus          : an r x c grid with wrap-around, r the largest divisor of n at most sqrt(n).
//   random_regular : every node has `degree` neighbours (configuration model, seeded retries).
//   erdos_renyi    : every pair is linked with probability `edge_prob`.
//   small_world    : Watts-Strogatz: a ring lattice of `degree` neighbours (degree/2 each side),
//                    each edge rewired with probability `rewire_prob`.
// Graphs are undirected and simple. Gossip uses Metropolis-Hastings weights,
// w_ij = 1 / (1 + max(d_i, d_j)) for neighbours and w_ii = 1 - sum_j w_ij, a symmetric
// doubly stochastic matrix, so repeated gossip converges to the plain average.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace orrery::fed {

enum class TopologyKind { ring, torus, random_regular, erdos_renyi, small_world };
TopologyKind parse_topology(std::string_view name);   // throws std::invalid_argument

struct Topology {
  std::vector<std::vector<std::size_t>> neighbours;   // sorted, per node

  std::size_t nodes() const { return neighbours.size(); }
  bool connected() const;
  // Row i of the Metropolis-Hastings weights: (neighbour, weight) pairs, self first.
  std::vector<std::pair<std::size_t, double>> weights(std::size_t node) const;
};

// Throws std::invalid_argument for impossible parameters (n < 3 for a ring, an odd
// n x degree for random_regular, ...) and when the graph is not connected.
Topology make_topology(TopologyKind kind, std::size_t nodes, std::size_t degree, double edge_prob,
                       double rewire_prob, std::uint64_t seed);

}  // namespace orrery::fed
