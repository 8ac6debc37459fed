// The synchronous algorithms (FedAvg, FedAvg with client sampling, FedProx)
// over MPI ranks: each rank trains the sampled clients it hosts, their records
// and updates travel to rank 0 in one MPI_Gatherv each (in client order), rank
// 0 aggregates and evaluates, and MPI_Bcast sends the new global model back.
// With aggregation_tree (mean only), each rank sums its clients' weighted
// updates exactly and MPI_Reduce adds the sums in a tree; rank 0 receives one
// model-sized sum instead of every update.
#pragma once

#include "fed/simulation.hpp"
#include "run_summary.hpp"

namespace orrery::fed {

// Runs every round; rank 0 reports the job's metrics, every rank its spans.
RunSummary run_sync_rounds(Simulation& sim, int rank, int ranks);

}  // namespace orrery::fed
