// ZeRO-1 checkpoint saves through parallel HDF5: every rank writes its slice of the AdamW
// moments into the one checkpoint file at the same time (MPI-IO), instead of one rank after
// the other. Built only into the worker's library variant linked with Debian's
// libhdf5-openmpi (orrery_gpt_train_mpi); a process links one HDF5 build, never both.
#pragma once

#include <mpi.h>

#include <string>

namespace orrery::gpt {

class Gpt;
class AdamW;

// Collective over comm. tmp was made by write_checkpoint_head (every moment dataset there,
// its space allocated) and closed; each rank writes the moments of its opt.range(). When
// any rank fails, every rank throws std::runtime_error naming the first failing rank and
// its reason, so no rank goes on to publish a file with a hole.
void write_optimizer_slices_parallel(const std::string& tmp, const Gpt& model, const AdamW& opt, MPI_Comm comm);

}  // namespace orrery::gpt
