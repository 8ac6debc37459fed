// One gpt-serve run on the MPI ranks: load the checkpoint, generate the workload, serve it
// colocated (every rank prefills and decodes its share of the requests) or disaggregated
// (prefill ranks hand each prefilled sequence's KV cache to a decode rank over MPI), then
// gather every request's timings on rank 0 for the aggregates.
#pragma once

#include <mpi.h>

#include "serve/serve_options.hpp"

namespace orrery::serve {

void serve(const ServeOptions& options, MPI_Comm comm);

}  // namespace orrery::serve
