// orrery-gpt-train: the gpt-train job kind's worker. Trains a GPT-2-style model data
// parallel over the MPI ranks (see plugins/gpt-train/README.md).
//
// A bad parameter or input is reported on stderr by every rank that finds it and ends the
// job with status 2 through MPI_Abort, so a rank that alone found a problem takes the
// others with it instead of leaving them waiting in a collective.

#include <mpi.h>

#include <cstdio>
#include <exception>
#include <span>

#include <orrery/runtime.hpp>

#include "gpt/train_options.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  orrery::init();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    bool help = false;
    const auto options =
        orrery::gpt::parse_train_options(std::span<char* const>(argv + 1, static_cast<std::size_t>(argc - 1)), help);
    if (help) {
      if (rank == 0) std::fputs(orrery::gpt::kUsage, stdout);
    } else {
      orrery::gpt::train(options, MPI_COMM_WORLD);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-gpt-train: %s\n", e.what());
    if (rank == 0) orrery::event("error", e.what());
    std::fflush(stderr);
    orrery::shutdown();
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  orrery::shutdown();
  MPI_Finalize();
  return 0;
}
