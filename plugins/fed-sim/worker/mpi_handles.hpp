// The MPI handles and types the worker uses.
//
// Open MPI defines its predefined handles as C casts of global objects
// (-Wold-style-cast); they are named once here so the warning stays off elsewhere.
#pragma once

#include <mpi.h>

#include <cstddef>

namespace orrery::fed::mpi {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline const MPI_Datatype kFloat = MPI_FLOAT;
inline const MPI_Datatype kDouble = MPI_DOUBLE;
inline const MPI_Datatype kInt64 = MPI_INT64_T;
inline const MPI_Op kSum = MPI_SUM;
inline const MPI_Comm kWorld = MPI_COMM_WORLD;
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

}  // namespace orrery::fed::mpi
