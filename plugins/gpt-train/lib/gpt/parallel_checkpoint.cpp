#include "gpt/parallel_checkpoint.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include "gpt/checkpoint_slices.hpp"
#include "gpt/h5_file.hpp"

#ifndef H5_HAVE_PARALLEL
#error "parallel_checkpoint.cpp needs the parallel HDF5 (pkg-config hdf5-openmpi)"
#endif

namespace orrery::gpt {

namespace {

void write_slices_through_mpi_io(const std::string& tmp, const Gpt& model, const AdamW& opt, MPI_Comm comm) {
  const h5::Id access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "create file access properties");
  if (H5Pset_fapl_mpio(access.get(), comm, MPI_INFO_NULL) < 0)
    throw std::runtime_error("HDF5: cannot use MPI-IO for " + tmp);
  // Collective open and (when file goes out of scope, also on an exception) collective
  // close; the raw data writes in between are independent, each rank its own hyperslabs.
  const h5::Id file(H5Fopen(tmp.c_str(), H5F_ACC_RDWR, access.get()), H5Fclose,
                    "open " + tmp + " for writing through MPI-IO");
  write_moment_slices(file.get(), model, opt);
}

}  // namespace

void write_optimizer_slices_parallel(const std::string& tmp, const Gpt& model, const AdamW& opt, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string failure;
  try {
    write_slices_through_mpi_io(tmp, model, opt, comm);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // The first failing rank's message, to every rank.
  int first = failure.empty() ? std::numeric_limits<int>::max() : rank;
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == std::numeric_limits<int>::max()) return;
  std::array<char, 512> text{};
  if (rank == first) std::copy_n(failure.begin(), std::min(failure.size(), text.size() - 1), text.begin());
  MPI_Bcast(text.data(), static_cast<int>(text.size()), MPI_CHAR, first, comm);
  throw std::runtime_error("checkpoint moments through parallel HDF5: rank " + std::to_string(first) + ": " +
                           text.data());
}

}  // namespace orrery::gpt
