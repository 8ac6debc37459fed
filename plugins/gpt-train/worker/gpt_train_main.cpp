// orrery-gpt-train: the gpt-train job kind's worker. Trains a GPT-2-style model data
// parallel over the MPI ranks (see plugins/gpt-train/README.md).
//
// A bad parameter or input is reported on stderr by every rank that finds it and ends the
// job with status 2 through MPI_Abort (orrery::run_mpi_worker), so a rank that alone found a
// problem takes the others with it instead of leaving them waiting in a collective.

#include <orrery/mpi_worker_main.hpp>

#include "gpt/train_options.hpp"
#include "training_run.hpp"

int main(int argc, char** argv) {
  return orrery::run_mpi_worker(argc, argv, "orrery-gpt-train", orrery::gpt::kUsage, orrery::gpt::parse_train_options,
                                [](const auto& options, MPI_Comm comm) { orrery::gpt::train(options, comm); });
}
