// Decentralized D-PSGD (lib/fed/gossip.hpp) over MPI ranks: each rank trains
// the nodes it hosts, MPI_Allgatherv gives every rank every trained model, and
// every rank mixes all nodes the same way, so all hold the same models with no
// further message (and the run is bit-identical on any rank count).
#pragma once

#include "fed/simulation.hpp"
#include "run_summary.hpp"

namespace orrery::fed {

RunSummary run_gossip_rounds(Simulation& sim, int rank, int ranks);

}  // namespace orrery::fed
