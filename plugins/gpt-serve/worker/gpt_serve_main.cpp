// orrery-gpt-serve: the gpt-serve job kind's worker. Serves a gpt-train checkpoint to a
// generated workload on the MPI ranks, colocated or disaggregated (see
// plugins/gpt-serve/README.md).
//
// A bad parameter or input is reported on stderr by every rank that finds it and ends the
// job with status 2 through MPI_Abort, so no rank is left waiting for the others.

#include <mpi.h>

#include <cstdio>
#include <exception>
#include <span>

#include <orrery/runtime.hpp>

#include "serve/serve_options.hpp"
#include "serving_run.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  orrery::init();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    bool help = false;
    const auto options =
        orrery::serve::parse_serve_options(std::span<char* const>(argv + 1, static_cast<std::size_t>(argc - 1)), help);
    if (help) {
      if (rank == 0) std::fputs(orrery::serve::kServeUsage, stdout);
    } else {
      orrery::serve::serve(options, MPI_COMM_WORLD);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-gpt-serve: %s\n", e.what());
    if (rank == 0) orrery::event("error", e.what());
    std::fflush(stderr);
    orrery::shutdown();
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  orrery::shutdown();
  MPI_Finalize();
  return 0;
}
