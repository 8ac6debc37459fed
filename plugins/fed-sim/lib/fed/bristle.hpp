// Bristle-style robust gossip for D-PSGD with Byzantine nodes (after de Vos et al.,
// "Bristle: Decentralized Federated Learning in Byzantine, Non-i.i.d. Environments", 2021),
// in our formulation. Bristle has each node judge the models it receives by how far they
// are from its own and by how they perform on its own data; here, node i with trained model
// x_i and neighbours' models x_j (its Metropolis-Hastings weights w_ij):
//   1. distance: d_j = |x_j - x_i|; a neighbour with d_j > distance_factor x median_j d_j is
//      dropped (a scaled sign flip or noise lands far from everyone);
//   2. performance: L_j = mean cross-entropy of x_j on (up to 64 of) node i's own training
//      rows; a neighbour with L_j > L_i + loss_margin is dropped (a model that fits node i's
//      data much worse than its own is either poisoned or useless to it);
//   3. the kept neighbours and node i itself are averaged with their w_ij, renormalised
//      (the dropped neighbours' weight stays with node i).
// The honest neighbours of an honest node pass both tests once the network has learnt a
// little; before, the performance test also keeps node i from mixing in far worse models.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "fed/simulation.hpp"

namespace orrery::fed {

struct BristleParams {
  double distance_factor = 2.0;
  double loss_margin = 0.5;
  std::size_t rows = 64;
};

// The weights node `node` mixes with: (node or neighbour, weight), summing to 1.
// trained: (nodes, params), every node's trained model as sent; mh: node's
// Metropolis-Hastings weights on the links up (itself included).
std::vector<std::pair<std::size_t, double>> bristle_weights(Simulation& sim, std::size_t node,
                                                            std::span<const float> trained,
                                                            const std::vector<std::pair<std::size_t, double>>& mh,
                                                            const BristleParams& p = {});

}  // namespace orrery::fed
