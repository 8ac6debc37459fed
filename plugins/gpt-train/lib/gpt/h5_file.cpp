#include "gpt/h5_file.hpp"

#include <stdexcept>

namespace orrery::gpt::h5 {

namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
const hid_t kFloat = H5T_NATIVE_FLOAT;
const hid_t kInt64 = H5T_NATIVE_INT64;
const hid_t kUint8 = H5T_NATIVE_UINT8;
const hid_t kStdFloat = H5T_IEEE_F32LE;
const hid_t kStdInt64 = H5T_STD_I64LE;
const hid_t kStdUint8 = H5T_STD_U8LE;
const hid_t kCString = H5T_C_S1;
constexpr std::size_t kVariable = H5T_VARIABLE;
#pragma GCC diagnostic pop

void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("HDF5: cannot " + what);
}

// HDF5 prints its error stack on every failure unless told not to; errors here are exceptions.
struct Quiet {
  Quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const Quiet quiet_once;

Id simple_space(const std::vector<std::int64_t>& shape) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return Id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "create a dataspace");
}

void write_dataset(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape, hid_t file_type,
                   hid_t mem_type, const void* data) {
  const Id space = simple_space(shape);
  const Id set(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
               "create dataset " + name);
  check(H5Dwrite(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write dataset " + name);
}

}  // namespace

Id::Id(hid_t id, Closer close, const std::string& what) : id_(id), close_(close) {
  if (id_ < 0) throw std::runtime_error("HDF5: cannot " + what);
}

Id create_file(const std::string& path) {
  return Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "create " + path);
}
Id open_file(const std::string& path) {
  return Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path + " as HDF5");
}
Id open_file_rw(const std::string& path) {
  return Id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "open " + path + " for writing");
}
Id create_group(hid_t loc, const std::string& name) {
  return Id(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "create group " + name);
}
Id open_group(hid_t loc, const std::string& name) {
  return Id(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), H5Gclose, "open group " + name);
}
bool exists(hid_t loc, const std::string& name) { return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0; }

void write_floats(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape, const float* data) {
  write_dataset(loc, name, shape, kStdFloat, kFloat, data);
}
void write_ints(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape, const std::int64_t* data) {
  write_dataset(loc, name, shape, kStdInt64, kInt64, data);
}
void write_bytes(hid_t loc, const std::string& name, const std::string& bytes) {
  write_dataset(loc, name, {static_cast<std::int64_t>(bytes.size())}, kStdUint8, kUint8, bytes.data());
}

std::vector<std::int64_t> dataset_shape(hid_t loc, const std::string& name) {
  const Id set(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + name);
  const Id space(H5Dget_space(set.get()), H5Sclose, "read the shape of " + name);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw std::runtime_error("HDF5: cannot read the shape of " + name);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

std::string read_bytes(hid_t loc, const std::string& name) {
  const Id set(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + name);
  const Id space(H5Dget_space(set.get()), H5Sclose, "read the shape of " + name);
  std::string bytes(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())), '\0');
  check(H5Dread(set.get(), kUint8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), "read dataset " + name);
  return bytes;
}

void create_floats(hid_t loc, const std::string& name, const std::vector<std::int64_t>& shape) {
  const Id space = simple_space(shape);
  // Space allocated now: ranks writing their slices at once through MPI-IO cannot allocate
  // it (allocation changes metadata, which parallel HDF5 allows only collectively). No fill
  // written: every element gets written, and zeros first would double the bytes.
  const Id creation(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  check(H5Pset_alloc_time(creation.get(), H5D_ALLOC_TIME_EARLY), "set early allocation for " + name);
  check(H5Pset_fill_time(creation.get(), H5D_FILL_TIME_NEVER), "turn off the fill of " + name);
  const Id set(H5Dcreate2(loc, name.c_str(), kStdFloat, space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT),
               H5Dclose, "create dataset " + name);
}

std::vector<Box> flat_range_boxes(const std::vector<std::int64_t>& shape, std::int64_t first, std::int64_t count) {
  std::vector<Box> boxes;
  if (count <= 0 || shape.empty()) return boxes;
  const std::int64_t end = first + count;
  if (shape.size() == 1) {
    boxes.push_back({{first}, {count}});
    return boxes;
  }
  // Rows of the last dimension: a partial first row, whole rows (a flat range of the outer
  // dimensions, by recursion), a partial last row.
  const std::int64_t row = shape.back();
  const std::vector<std::int64_t> outer(shape.begin(), shape.end() - 1);
  auto one_row = [&](std::int64_t r, std::int64_t from, std::int64_t to) {
    Box b;
    b.start.resize(outer.size());
    for (std::size_t d = outer.size(); d-- > 0;) {
      b.start[d] = r % outer[d];
      r /= outer[d];
    }
    b.count.assign(outer.size(), 1);
    b.start.push_back(from);
    b.count.push_back(to - from);
    boxes.push_back(std::move(b));
  };
  const std::int64_t first_row = first / row, last_row = end / row;
  if (first_row == last_row) {
    one_row(first_row, first % row, end % row);
    return boxes;
  }
  std::int64_t whole_from = first_row;
  if (first % row != 0) {
    one_row(first_row, first % row, row);
    ++whole_from;
  }
  for (Box& b : flat_range_boxes(outer, whole_from, last_row - whole_from)) {
    b.start.push_back(0);
    b.count.push_back(row);
    boxes.push_back(std::move(b));
  }
  if (end % row != 0) one_row(last_row, 0, end % row);
  return boxes;
}

namespace {

// The dataset's file space with [first, first + count) selected, checked against its size.
Id select_flat_range(hid_t set, const std::string& name, std::int64_t first, std::int64_t count) {
  Id space(H5Dget_space(set), H5Sclose, "read the shape of " + name);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw std::runtime_error("HDF5: cannot read the shape of " + name);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const auto points = H5Sget_simple_extent_npoints(space.get());
  if (first < 0 || count < 0 || first + count > points)
    throw std::runtime_error("dataset " + name + " has " + std::to_string(points) + " values, not the range " +
                             std::to_string(first) + " + " + std::to_string(count));
  H5S_seloper_t op = H5S_SELECT_SET;
  for (const Box& b : flat_range_boxes({dims.begin(), dims.end()}, first, count)) {
    const std::vector<hsize_t> start(b.start.begin(), b.start.end()), size(b.count.begin(), b.count.end());
    check(H5Sselect_hyperslab(space.get(), op, start.data(), nullptr, size.data(), nullptr), "select a range of " + name);
    op = H5S_SELECT_OR;
  }
  return space;
}

}  // namespace

void write_floats_range(hid_t loc, const std::string& name, std::int64_t first, std::int64_t count, const float* data) {
  if (count == 0) return;
  const Id set(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + name);
  const Id file_space = select_flat_range(set.get(), name, first, count);
  const Id mem_space = simple_space({count});
  check(H5Dwrite(set.get(), kFloat, mem_space.get(), file_space.get(), H5P_DEFAULT, data), "write a range of " + name);
}

void read_floats_range(hid_t loc, const std::string& name, std::int64_t first, std::int64_t count, float* out) {
  if (count == 0) return;
  const Id set(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + name);
  const Id type(H5Dget_type(set.get()), H5Tclose, "read the type of " + name);
  if (H5Tget_class(type.get()) != H5T_FLOAT) throw std::runtime_error("dataset " + name + " does not hold floats");
  const Id file_space = select_flat_range(set.get(), name, first, count);
  const Id mem_space = simple_space({count});
  check(H5Dread(set.get(), kFloat, mem_space.get(), file_space.get(), H5P_DEFAULT, out), "read a range of " + name);
}

void set_attr(hid_t obj, const std::string& key, std::int64_t value) {
  const Id space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const Id attr(H5Acreate2(obj, key.c_str(), kStdInt64, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                "create attribute " + key);
  check(H5Awrite(attr.get(), kInt64, &value), "write attribute " + key);
}

void set_attr(hid_t obj, const std::string& key, const std::string& value) {
  const Id type(H5Tcopy(kCString), H5Tclose, "copy the string type");
  check(H5Tset_size(type.get(), kVariable), "size the string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "set UTF-8");
  const Id space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const Id attr(H5Acreate2(obj, key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                "create attribute " + key);
  const char* text = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &text), "write attribute " + key);
}

void set_attr(hid_t obj, const std::string& key, const std::vector<std::int64_t>& value, std::int64_t columns) {
  const Id space = simple_space({static_cast<std::int64_t>(value.size()) / columns, columns});
  const Id attr(H5Acreate2(obj, key.c_str(), kStdInt64, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                "create attribute " + key);
  check(H5Awrite(attr.get(), kInt64, value.data()), "write attribute " + key);
}

bool has_attr(hid_t obj, const std::string& key) { return H5Aexists(obj, key.c_str()) > 0; }

std::int64_t int_attr(hid_t obj, const std::string& key) {
  const Id attr(H5Aopen(obj, key.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + key);
  std::int64_t v = 0;
  check(H5Aread(attr.get(), kInt64, &v), "read attribute " + key);
  return v;
}

std::string string_attr(hid_t obj, const std::string& key) {
  const Id attr(H5Aopen(obj, key.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + key);
  const Id type(H5Aget_type(attr.get()), H5Tclose, "read the type of attribute " + key);
  if (H5Tis_variable_str(type.get()) <= 0) throw std::runtime_error("attribute " + key + " is not a string");
  char* text = nullptr;
  check(H5Aread(attr.get(), type.get(), &text), "read attribute " + key);
  std::string value = text ? text : "";
  H5free_memory(text);
  return value;
}

}  // namespace orrery::gpt::h5
