// The MPI handles and types Orrery's MPI workers (and their benchmarks) use.
//
// Open MPI defines its predefined handles as C casts of global objects
// (-Wold-style-cast); they are named once here so the warning stays on everywhere else.
// Header-only: only code that already includes <mpi.h> includes it; the runtime library
// itself stays MPI-free.
#pragma once

#include <mpi.h>

#include <cstddef>

namespace orrery::mpi {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline const MPI_Datatype kFloat = MPI_FLOAT;
inline const MPI_Datatype kDouble = MPI_DOUBLE;
inline const MPI_Datatype kInt = MPI_INT;
inline const MPI_Datatype kInt64 = MPI_INT64_T;
inline const MPI_Op kSum = MPI_SUM;
inline const MPI_Op kMax = MPI_MAX;
inline const MPI_Comm kWorld = MPI_COMM_WORLD;
inline void* const kInPlace = MPI_IN_PLACE;
#pragma GCC diagnostic pop

// An MPI type of `count` contiguous elements, freed with the object.
class ContiguousType {
 public:
  ContiguousType(std::size_t count, MPI_Datatype element) {
    MPI_Type_contiguous(static_cast<int>(count), element, &type_);
    MPI_Type_commit(&type_);
  }
  ~ContiguousType() { MPI_Type_free(&type_); }
  ContiguousType(const ContiguousType&) = delete;
  ContiguousType& operator=(const ContiguousType&) = delete;
  MPI_Datatype get() const { return type_; }

 private:
  MPI_Datatype type_{};
};

}  // namespace orrery::mpi
