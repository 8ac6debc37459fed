// One gpt-train run on this rank: set-up (corpus, model, optional resume) and the loop of
// data-parallel steps with validation, samples and checkpoints. MPI errors abort the job.
#pragma once

#include <mpi.h>

#include "gpt/train_options.hpp"

namespace orrery::gpt {

struct RunPaths {
  std::string cache_dir, checkpoint_dir;
};
RunPaths run_paths(const TrainOptions& o);

// Throws std::exception for bad inputs found before the first step (the caller reports
// them and aborts with status 2); returns after the last step.
void train(const TrainOptions& options, MPI_Comm comm);

}  // namespace orrery::gpt
