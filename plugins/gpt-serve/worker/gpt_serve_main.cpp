// orrery-gpt-serve: the gpt-serve job kind's worker. Serves a gpt-train checkpoint to a
// generated workload on the MPI ranks, colocated or disaggregated (see
// plugins/gpt-serve/README.md).
//
// A bad parameter or input is reported on stderr by every rank that finds it and ends the
// job with status 2 through MPI_Abort (orrery::run_mpi_worker), so no rank is left waiting
// for the others.

#include <orrery/mpi_worker_main.hpp>

#include "serve/serve_options.hpp"
#include "serving_run.hpp"

int main(int argc, char** argv) {
  return orrery::run_mpi_worker(argc, argv, "orrery-gpt-serve", orrery::serve::kServeUsage,
                                orrery::serve::parse_serve_options,
                                [](const auto& options, MPI_Comm comm) { orrery::serve::serve(options, comm); });
}
