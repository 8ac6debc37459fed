// What a run's loop tells the worker's main at the end.
#pragma once

#include <cstdint>

namespace orrery::fed {

struct RunSummary {
  double accuracy = 0;               // final test accuracy (rank 0; 0 elsewhere)
  std::uint64_t client_rounds = 0;   // client trainings, all ranks together
  double wall_s = 0;                 // wall time of the loop on this rank
};

}  // namespace orrery::fed
