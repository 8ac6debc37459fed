// Minimal HDF5 (serial C API) plumbing for gpt-train's own files: checkpoints and the
// golden-test dumps. Errors become std::runtime_error naming the file and the object.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace orrery::gpt::h5 {

// Owns one HDF5 identifier.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id(hid_t id, Closer close, const std::string& what);
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id& operator=(Id&&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  Closer close_;
};

Id create_file(const std::string& path);  // truncates
Id open_file(const std::string& path);    // read-only
Id open_file_rw(const std::string& path); // read-write, for writing moment slices into a head
Id create_group(hid_t loc, const std::string& name);
Id open_group(hid_t loc, const std::string& name);
bool exists(hid_t loc, const std::string& name);

void write_floats(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape, const float* data);
void write_ints(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape, const std::int64_t* data);
void write_bytes(hid_t loc, const std::string& name, const std::string& bytes);
// Shape of a dataset.
std::vector<std::int64_t> dataset_shape(hid_t loc, const std::string& name);
std::string read_bytes(hid_t loc, const std::string& name);

// A float dataset of the given shape with no data yet, its space allocated at once (so
// ranks of a parallel HDF5 file can fill it by ranges independently); unwritten elements of a
// new file read as 0.
void create_floats(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape);
// An axis-aligned block of a dataset: start and count per dimension.
struct Box {
  std::vector<std::int64_t> start, count;
};
// The elements [first, first + count) of a row-major array of the given shape as at most
// 2 x (dimensions) - 1 blocks, in row-major order: the hyperslabs that select a flat range
// of a consolidated tensor.
std::vector<Box> flat_range_boxes(const std::vector<std::int64_t>& shape, std::int64_t first, std::int64_t count);
// Writes or reads the flat range [first, first + count) of a float dataset (any shape).
void write_floats_range(hid_t loc, const std::string& name, std::int64_t first, std::int64_t count, const float* data);
void read_floats_range(hid_t loc, const std::string& name, std::int64_t first, std::int64_t count, float* out);

void set_attr(hid_t obj, const std::string& key, std::int64_t value);
void set_attr(hid_t obj, const std::string& key, const std::string& value);
void set_attr(hid_t obj, const std::string& key, const std::vector<std::int64_t>& value, std::int64_t columns);
std::int64_t int_attr(hid_t obj, const std::string& key);
std::string string_attr(hid_t obj, const std::string& key);
bool has_attr(hid_t obj, const std::string& key);

}  // namespace orrery::gpt::h5
