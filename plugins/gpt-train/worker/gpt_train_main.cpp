// orrery-gpt-train: the gpt-train job kind's worker. Trains a GPT-2-style model data
// parallel over the MPI ranks (see plugins/gpt-train/README.md).
//
// A bad parameter or input is reported on stderr by every rank that finds it and ends the
// job with status 2 through MPI_Abort (orrery::run_mpi_worker), so a rank that alone found a
// problem takes the others with it instead of leaving them waiting in a collective.

#include <unistd.h>

#include <cstdlib>

#include <orrery/mpi_worker_main.hpp>

#include "gpt/train_options.hpp"
#include "training_run.hpp"

namespace {

// Two thread pools share the cores: OpenMP's (the layers' loops) and OpenBLAS's (the matrix
// products). By default libgomp's idle threads spin after each loop, taking the cores from
// the OpenBLAS threads of the product that follows: measured with perf, 30 % of a 2-thread
// step's CPU time was libgomp spinning. Passive waiting ends that, but libgomp reads
// OMP_WAIT_POLICY only when it loads, before main: so the worker, unless the user chose a
// policy, sets it and executes itself once more (same pid, arguments and environment, still
// before MPI_Init). Should the exec fail, it goes on with libgomp's default.
void let_openmp_threads_sleep_when_idle(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  execv("/proc/self/exe", argv);
}

}  // namespace

int main(int argc, char** argv) {
  let_openmp_threads_sleep_when_idle(argv);
  return orrery::run_mpi_worker(argc, argv, "orrery-gpt-train", orrery::gpt::kUsage, orrery::gpt::parse_train_options,
                                [](const auto& options, MPI_Comm comm) { orrery::gpt::train(options, comm); });
}
