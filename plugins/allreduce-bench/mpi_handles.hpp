// The MPI handles the allreduce-bench worker and bench/allreduce_compare use.
//
// Open MPI defines its predefined handles as C casts of global objects
// (-Wold-style-cast); they are named once here so the warning stays off elsewhere.
#pragma once

#include <mpi.h>

namespace orrery::allreduce::mpi {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline const MPI_Datatype kFloat = MPI_FLOAT;
inline const MPI_Datatype kDouble = MPI_DOUBLE;
inline const MPI_Datatype kInt = MPI_INT;
inline const MPI_Op kSum = MPI_SUM;
inline const MPI_Op kMax = MPI_MAX;
inline const MPI_Comm kWorld = MPI_COMM_WORLD;
inline void* const kInPlace = MPI_IN_PLACE;
#pragma GCC diagnostic pop

}  // namespace orrery::allreduce::mpi
