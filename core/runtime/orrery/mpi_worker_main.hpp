// The main() of an MPI worker whose command line parses into one options value that every
// rank then runs with (gpt-train, gpt-serve): MPI and the Orrery runtime are set up and torn
// down around it, --help is printed by rank 0, and a bad parameter or input (an exception) is
// reported on stderr by every rank that finds it, as an "error" event by rank 0, and ends the
// job with status 2 through MPI_Abort, so no rank is left waiting for the others.
// Header-only, like mpi_handles.hpp: only MPI workers include it.
#pragma once

#include <orrery/mpi_handles.hpp>
#include <orrery/runtime.hpp>

#include <mpi.h>

#include <cstddef>
#include <cstdio>
#include <exception>
#include <span>

namespace orrery {

// parse(std::span<char* const> args, bool& help) -> Options; run(const Options&, MPI_Comm).
template <typename Parse, typename Run>
int run_mpi_worker(int argc, char** argv, const char* name, const char* usage, Parse parse, Run run) {
  MPI_Init(&argc, &argv);
  init();
  int rank = 0;
  MPI_Comm_rank(mpi::kWorld, &rank);
  try {
    bool help = false;
    const auto options = parse(std::span<char* const>(argv + 1, static_cast<std::size_t>(argc - 1)), help);
    if (help) {
      if (rank == 0) std::fputs(usage, stdout);
    } else {
      run(options, mpi::kWorld);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    if (rank == 0) event("error", e.what());
    std::fflush(stderr);
    shutdown();
    MPI_Abort(mpi::kWorld, 2);
  }
  shutdown();
  MPI_Finalize();
  return 0;
}

}  // namespace orrery
