// orrery-fed-sim: the fed-sim job kind's worker. Simulates federated learning
// clients spread over the MPI ranks (see plugins/fed-sim/README.md).
//
// A bad parameter or missing data is reported on stderr by every rank (each
// rank checks the same arguments and files, and the run's failure record shows
// whichever rank ended first), and MPI_Abort ends the job with status 2, so a
// rank that alone found a problem (a file missing on one host) takes the others
// with it instead of leaving them waiting in a collective.

#include <cstdio>
#include <exception>
#include <memory>
#include <span>
#include <string>

#include <orrery/runtime.hpp>

#include "fed/config.hpp"
#include "fed/simulation.hpp"
#include <orrery/mpi_handles.hpp>
#include "async_rounds.hpp"
#include "gossip_rounds.hpp"
#include "sync_rounds.hpp"

namespace {

std::string topology_name(const orrery::fed::Config& c) {
  switch (c.topology) {
    case orrery::fed::TopologyKind::ring: return "ring";
    case orrery::fed::TopologyKind::torus: return "torus";
    case orrery::fed::TopologyKind::random_regular: return "random regular";
    case orrery::fed::TopologyKind::erdos_renyi: return "Erdos-Renyi";
    case orrery::fed::TopologyKind::small_world: return "small-world";
  }
  return "?";
}

std::string describe(const orrery::fed::Simulation& sim, int ranks) {
  const auto& c = sim.cfg;
  return c.dataset + ": " + std::to_string(sim.data.train.rows()) + " training and " +
         std::to_string(sim.data.test.rows()) + " test samples, " + std::to_string(sim.clients()) + " clients on " +
         std::to_string(ranks) + " ranks, " + (c.algorithm == orrery::fed::Algorithm::dpsgd        ? "gossiping on a " + topology_name(c) + " topology"
          : c.algorithm == orrery::fed::Algorithm::fedcompass ? std::string("all in flight")
          : c.asynchronous()                                   ? std::to_string(c.concurrency) + " training at once"
                                                               : std::to_string(c.per_round()) + " per round") +
         ", model of " +
         std::to_string(sim.global.size()) + " parameters";
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  orrery::init();
  int rank = 0, ranks = 1;
  MPI_Comm_rank(orrery::mpi::kWorld, &rank);
  MPI_Comm_size(orrery::mpi::kWorld, &ranks);

  std::unique_ptr<orrery::fed::Simulation> sim;
  try {
    bool help = false;
    const auto cfg = orrery::fed::parse_config(std::span<char* const>(argv + 1, static_cast<std::size_t>(argc - 1)), help);
    if (help) {
      if (rank == 0) std::fputs(orrery::fed::kUsage, stdout);
    } else {
      sim = orrery::fed::prepare(cfg);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-fed-sim: %s\n", e.what());
    if (rank == 0) orrery::event("error", e.what());
    std::fflush(stderr);
    orrery::shutdown();
    MPI_Abort(orrery::mpi::kWorld, 2);
  }

  if (sim) {
    if (rank == 0) {
      const std::string what = describe(*sim, ranks);
      std::printf("orrery-fed-sim: %s\n", what.c_str());
      std::fflush(stdout);
      orrery::event("info", what);
    }
    try {
      const auto& c = sim->cfg;
      const auto s = c.algorithm == orrery::fed::Algorithm::dpsgd ? orrery::fed::run_gossip_rounds(*sim, rank, ranks)
                     : c.asynchronous()                            ? orrery::fed::run_async_rounds(*sim, rank, ranks)
                                                                   : orrery::fed::run_sync_rounds(*sim, rank, ranks);
      if (rank == 0) {
        // The throughput line is what bench/fed_sim reads.
        std::printf("orrery-fed-sim: final test accuracy %.4f; %llu client-rounds in %.3f s (%.1f client-rounds/s)\n",
                    s.accuracy, static_cast<unsigned long long>(s.client_rounds), s.wall_s,
                    static_cast<double>(s.client_rounds) / s.wall_s);
        std::fflush(stdout);
        orrery::event("result", "final test accuracy " + std::to_string(s.accuracy));
      }
    } catch (const std::exception& e) {
      // Mid-run, the other ranks wait in a collective: only an abort ends them.
      std::fprintf(stderr, "orrery-fed-sim: rank %d: %s\n", rank, e.what());
      std::fflush(stderr);
      orrery::shutdown();
      MPI_Abort(orrery::mpi::kWorld, 1);
    }
  }

  orrery::shutdown();
  MPI_Finalize();
  return 0;
}
