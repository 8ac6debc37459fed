// The asynchronous algorithms (FedAsync, FedBuff; lib/fed/async_run.hpp) over MPI
// ranks. Every rank replays the same virtual-time schedule; in each training
// wave a rank trains the dispatched clients it hosts, and MPI_Allgatherv gives
// every rank every update, so each applies the same server steps in the same
// order and holds the same model, with no broadcast.
#pragma once

#include "fed/simulation.hpp"
#include "run_summary.hpp"

namespace orrery::fed {

// Runs until cfg.rounds versions; rank 0 reports the metrics (step = version).
RunSummary run_async_rounds(Simulation& sim, int rank, int ranks);

}  // namespace orrery::fed
