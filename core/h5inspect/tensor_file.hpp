// A read-only view of any HDF5 file as a tree of tensors (its datasets): what the
// checkpoint browser, its benchmark and its tests read checkpoints through.
//
// Nothing here loads a whole tensor: reads are row blocks along dimension 0 (for the
// statistics, diffs and exports, which stream), or a rectangle of a 2-D slice (for the
// heatmap and the lazily loading table). Malformed, truncated or foreign files give
// runfiles::RunFileError with a clear message, never a crash. HDF5 (Debian's build is
// thread-safe) serialises calls, so one TensorFile may be read from several threads.
#pragma once

#include "runfiles/run_h5_writer.hpp"   // RunFileError: every failure to read a file

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace orrery::h5inspect {

using runfiles::RunFileError;

// Thrown by the streaming functions when their cancel flag was raised.
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

enum class ValueClass { Float, SignedInt, UnsignedInt, Other };

// The in-memory type a block is converted to (HDF5 converts while reading).
enum class NativeType { F32, F64, I8, I16, I32, I64, U8, U16, U32, U64 };
std::size_t native_size(NativeType t);

struct TensorInfo {
  std::string path;                  // "/model/h.0/attn/c_attn/weight"
  std::vector<std::uint64_t> shape;  // empty for a scalar
  std::string dtype;                 // "float32", "int64", "bool", "string", "compound", ...
  ValueClass value_class = ValueClass::Other;
  std::size_t element_size = 0;      // bytes per element in the file
  std::uint64_t elements() const;
  std::uint64_t bytes() const { return elements() * element_size; }
  bool numeric() const { return value_class != ValueClass::Other; }
  // Rows along dimension 0 (1 for a scalar) and elements per row.
  std::uint64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  std::uint64_t row_elements() const;
  // The type that holds its values without loss (float16 widens to float32).
  NativeType natural_type() const;
};

// A rectangle of a 2-D view of a tensor: dimension row_dim down, col_dim across
// (col_dim -1 for a 1-D tensor: one column), every other dimension at fixed[d].
struct SliceSpec {
  int row_dim = 0;
  int col_dim = 1;
  std::vector<std::uint64_t> fixed;   // one per dimension; row/col entries ignored; missing ones are 0
  std::uint64_t row0 = 0, rows = 0, row_step = 1;
  std::uint64_t col0 = 0, cols = 1, col_step = 1;
};

class TensorFile {
 public:
  // Opens read-only and lists every dataset reachable by hard links from the root
  // (soft and external links are not followed). Throws RunFileError.
  explicit TensorFile(const std::filesystem::path& path);
  ~TensorFile();
  TensorFile(const TensorFile&) = delete;
  TensorFile& operator=(const TensorFile&) = delete;

  const std::filesystem::path& path() const;
  // Sorted by path.
  const std::vector<TensorInfo>& tensors() const;
  // Throws RunFileError naming a path that is not a dataset of this file.
  const TensorInfo& tensor(const std::string& path) const;

  // Rows [row0, row0 + rows) along dimension 0, converted to `type`, into out
  // (rows * row_elements() values). Throws RunFileError for a non-numeric tensor,
  // a range outside it or a damaged dataset.
  void read_rows(const TensorInfo& t, std::uint64_t row0, std::uint64_t rows, NativeType type, void* out) const;
  std::vector<double> read_rows(const TensorInfo& t, std::uint64_t row0, std::uint64_t rows) const;
  // The slice's rectangle as doubles, row-major (rows x cols). Validates the spec.
  std::vector<double> read_slice(const TensorInfo& t, const SliceSpec& spec) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Rows of dimension 0 per streamed block, so that a block holds about `elements` values
// (at least one row: a tensor with rows larger than that streams a row at a time).
std::uint64_t rows_per_block(const TensorInfo& t, std::uint64_t elements = 1u << 20);

}  // namespace orrery::h5inspect
