#include "h5inspect/tensor_file.hpp"

#include "runfiles/h5_util.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <limits>

namespace orrery::h5inspect {

using runfiles::h5::check;
using runfiles::h5::Hid;
using runfiles::h5::QuietHdf5;

namespace {

// A checkpoint of a very deep or wide model has thousands of tensors; a damaged file
// may claim millions of links. Past this the file is refused rather than listed forever.
constexpr std::size_t kMaxTensors = 1'000'000;
constexpr int kMaxRank = 32;

hid_t hdf5_type(NativeType t) {
  switch (t) {
    case NativeType::F32: return H5T_NATIVE_FLOAT;
    case NativeType::F64: return H5T_NATIVE_DOUBLE;
    case NativeType::I8: return H5T_NATIVE_INT8;
    case NativeType::I16: return H5T_NATIVE_INT16;
    case NativeType::I32: return H5T_NATIVE_INT32;
    case NativeType::I64: return H5T_NATIVE_INT64;
    case NativeType::U8: return H5T_NATIVE_UINT8;
    case NativeType::U16: return H5T_NATIVE_UINT16;
    case NativeType::U32: return H5T_NATIVE_UINT32;
    case NativeType::U64: return H5T_NATIVE_UINT64;
  }
  return H5T_NATIVE_DOUBLE;
}

// Names what a dataset holds, and whether its values convert to numbers.
void describe_type(hid_t type, TensorInfo& t) {
  t.element_size = H5Tget_size(type);
  const std::string bits = std::to_string(8 * t.element_size);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      t.value_class = ValueClass::Float;
      t.dtype = "float" + bits;
      break;
    case H5T_INTEGER:
      if (H5Tget_sign(type) == H5T_SGN_NONE) {
        t.value_class = ValueClass::UnsignedInt;
        t.dtype = "uint" + bits;
      } else {
        t.value_class = ValueClass::SignedInt;
        t.dtype = "int" + bits;
      }
      break;
    case H5T_ENUM: t.dtype = "enum"; break;   // h5py writes numpy bools as an enum
    case H5T_STRING: t.dtype = "string"; break;
    case H5T_COMPOUND: t.dtype = "compound"; break;
    case H5T_ARRAY: t.dtype = "array"; break;
    case H5T_VLEN: t.dtype = "vlen"; break;
    case H5T_REFERENCE: t.dtype = "reference"; break;
    case H5T_OPAQUE: t.dtype = "opaque"; break;
    default: t.dtype = "other"; break;
  }
  if (t.numeric() && (t.element_size == 0 || t.element_size > 8)) {
    t.value_class = ValueClass::Other;   // long double, 128-bit integers: not read as numbers
  }
}

struct Listing {
  hid_t file;
  std::vector<TensorInfo> tensors;
  std::string error;
};

herr_t visit_link(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  auto* listing = static_cast<Listing*>(data);
  if (info->type != H5L_TYPE_HARD) return 0;
  H5O_info_t object{};
  if (H5Oget_info_by_name2(group, name, &object, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    listing->error = std::string("cannot read object ") + name;
    return -1;
  }
  if (object.type != H5O_TYPE_DATASET) return 0;
  if (listing->tensors.size() >= kMaxTensors) {
    listing->error = "more than " + std::to_string(kMaxTensors) + " datasets";
    return -1;
  }
  TensorInfo t;
  t.path = std::string("/") + name;
  hid_t dset = H5Dopen2(group, name, H5P_DEFAULT);
  if (dset < 0) {
    listing->error = "cannot open dataset " + t.path;
    return -1;
  }
  Hid d(dset, H5Dclose, "");
  hid_t type = H5Dget_type(dset), space = H5Dget_space(dset);
  Hid ty(type < 0 ? H5I_INVALID_HID : type, H5Tclose, ""), sp(space < 0 ? H5I_INVALID_HID : space, H5Sclose, "");
  int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  if (type < 0 || rank < 0 || rank > kMaxRank) {
    listing->error = "cannot read the type or shape of dataset " + t.path;
    return -1;
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) {
    listing->error = "cannot read the shape of dataset " + t.path;
    return -1;
  }
  t.shape.assign(dims.begin(), dims.end());
  describe_type(type, t);
  listing->tensors.push_back(std::move(t));
  return 0;
}

}  // namespace

std::size_t native_size(NativeType t) { return H5Tget_size(hdf5_type(t)); }

std::uint64_t TensorInfo::elements() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::uint64_t TensorInfo::row_elements() const {
  std::uint64_t n = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

NativeType TensorInfo::natural_type() const {
  const std::size_t s = element_size;
  switch (value_class) {
    case ValueClass::Float: return s <= 4 ? NativeType::F32 : NativeType::F64;
    case ValueClass::SignedInt:
      return s == 1 ? NativeType::I8 : s == 2 ? NativeType::I16 : s <= 4 ? NativeType::I32 : NativeType::I64;
    case ValueClass::UnsignedInt:
      return s == 1 ? NativeType::U8 : s == 2 ? NativeType::U16 : s <= 4 ? NativeType::U32 : NativeType::U64;
    case ValueClass::Other: break;
  }
  return NativeType::F64;
}

std::uint64_t rows_per_block(const TensorInfo& t, std::uint64_t elements) {
  const std::uint64_t per_row = std::max<std::uint64_t>(1, t.row_elements());
  return std::max<std::uint64_t>(1, elements / per_row);
}

struct TensorFile::Impl {
  std::filesystem::path path;
  Hid fapl, file;
  std::vector<TensorInfo> tensors;
};

TensorFile::TensorFile(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  QuietHdf5 quiet;
  impl_->path = path;
  const std::string where = "'" + path.string() + "'";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw RunFileError("file " + where + " does not exist");
  if (!S_ISREG(st.st_mode)) throw RunFileError(where + " is not a regular file");
  impl_->fapl = Hid(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access list");
  // No HDF5 file locks: a checkpoint being read must not block its run's next save.
  check(H5Pset_file_locking(impl_->fapl.get(), false, true), "cannot disable file locking");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, impl_->fapl.get());
  if (id < 0) {
    runfiles::h5::Hdf5Error err = runfiles::h5::hdf5_error();
    if (err.not_hdf5) throw RunFileError(where + " is not an HDF5 file (" + err.text() + ")");
    if (err.truncated) throw RunFileError(where + " is truncated or damaged (" + err.text() + ")");
    throw RunFileError("cannot open " + where + " (" + err.text() + ")");
  }
  impl_->file = Hid(id, H5Fclose, "");
  Listing listing{id, {}, {}};
  if (H5Lvisit(id, H5_INDEX_NAME, H5_ITER_INC, visit_link, &listing) < 0) {
    std::string why = listing.error.empty() ? runfiles::h5::hdf5_error_text() : listing.error;
    throw RunFileError(where + " is damaged: cannot list its datasets (" + why + ")");
  }
  std::sort(listing.tensors.begin(), listing.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.path < b.path; });
  impl_->tensors = std::move(listing.tensors);
}

TensorFile::~TensorFile() = default;

const std::filesystem::path& TensorFile::path() const { return impl_->path; }
const std::vector<TensorInfo>& TensorFile::tensors() const { return impl_->tensors; }

const TensorInfo& TensorFile::tensor(const std::string& path) const {
  auto it = std::lower_bound(impl_->tensors.begin(), impl_->tensors.end(), path,
                             [](const TensorInfo& t, const std::string& p) { return t.path < p; });
  if (it == impl_->tensors.end() || it->path != path)
    throw RunFileError("'" + impl_->path.string() + "' has no dataset " + path);
  return *it;
}

namespace {

// Reads the hyperslab (start, stride, count per dimension) of dataset `t` into `out`.
void read_hyperslab(hid_t file, const TensorInfo& t, const std::vector<hsize_t>& start,
                    const std::vector<hsize_t>& stride, const std::vector<hsize_t>& count, NativeType type,
                    void* out) {
  if (!t.numeric()) throw RunFileError("dataset " + t.path + " holds " + t.dtype + " values, not numbers");
  Hid dset(H5Dopen2(file, t.path.c_str(), H5P_DEFAULT), H5Dclose, "cannot open dataset " + t.path);
  Hid fspace(H5Dget_space(dset.get()), H5Sclose, "cannot read the shape of dataset " + t.path);
  hsize_t total = 1;
  for (auto c : count) total *= c;
  if (total == 0) return;
  Hid mspace(H5Screate_simple(1, &total, nullptr), H5Sclose, "cannot create memory dataspace");
  if (!t.shape.empty())
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), stride.data(), count.data(), nullptr),
          "cannot select a block of dataset " + t.path);
  check(H5Dread(dset.get(), hdf5_type(type), mspace.get(), fspace.get(), H5P_DEFAULT, out),
        "cannot read dataset " + t.path + " (damaged or truncated file?)");
}

}  // namespace

void TensorFile::read_rows(const TensorInfo& t, std::uint64_t row0, std::uint64_t rows, NativeType type,
                           void* out) const {
  QuietHdf5 quiet;
  if (row0 > t.rows() || rows > t.rows() - row0)
    throw RunFileError("rows " + std::to_string(row0) + "+" + std::to_string(rows) + " are outside dataset " +
                       t.path);
  std::vector<hsize_t> start(t.shape.size(), 0), stride(t.shape.size(), 1), count(t.shape.begin(), t.shape.end());
  if (!t.shape.empty()) {
    start[0] = row0;
    count[0] = rows;
  }
  read_hyperslab(impl_->file.get(), t, start, stride, count, type, out);
}

std::vector<double> TensorFile::read_rows(const TensorInfo& t, std::uint64_t row0, std::uint64_t rows) const {
  std::vector<double> out(rows * t.row_elements());
  read_rows(t, row0, rows, NativeType::F64, out.data());
  return out;
}

std::vector<double> TensorFile::read_slice(const TensorInfo& t, const SliceSpec& s) const {
  QuietHdf5 quiet;
  const int rank = static_cast<int>(t.shape.size());
  auto bad = [&](const std::string& why) { return RunFileError("slice of " + t.path + ": " + why); };
  if (rank == 0) throw bad("a scalar has no 2-D slice");
  if (s.row_dim < 0 || s.row_dim >= rank) throw bad("no dimension " + std::to_string(s.row_dim));
  if (s.col_dim >= rank || (s.col_dim < 0 && rank != 1) || s.col_dim == s.row_dim)
    throw bad("column dimension " + std::to_string(s.col_dim) + " does not fit shape of rank " +
              std::to_string(rank));
  if (s.row_step == 0 || s.col_step == 0) throw bad("step 0");
  const std::uint64_t row_extent = t.shape[static_cast<std::size_t>(s.row_dim)];
  const std::uint64_t col_extent = s.col_dim < 0 ? 1 : t.shape[static_cast<std::size_t>(s.col_dim)];
  auto fits = [](std::uint64_t first, std::uint64_t n, std::uint64_t step, std::uint64_t extent) {
    return n == 0 || (first < extent && (n - 1) <= (extent - 1 - first) / step);
  };
  if (!fits(s.row0, s.rows, s.row_step, row_extent) || !fits(s.col0, s.cols, s.col_step, col_extent))
    throw bad("rectangle outside the tensor");
  std::vector<hsize_t> start(static_cast<std::size_t>(rank)), stride(start.size(), 1), count(start.size(), 1);
  for (int d = 0; d < rank; ++d) {
    auto i = static_cast<std::size_t>(d);
    if (d == s.row_dim) {
      start[i] = s.row0, stride[i] = s.row_step, count[i] = s.rows;
    } else if (d == s.col_dim) {
      start[i] = s.col0, stride[i] = s.col_step, count[i] = s.cols;
    } else {
      start[i] = i < s.fixed.size() ? s.fixed[i] : 0;
      if (start[i] >= t.shape[i]) throw bad("index " + std::to_string(start[i]) + " outside dimension " +
                                            std::to_string(d));
    }
  }
  std::vector<double> out(s.rows * s.cols);
  read_hyperslab(impl_->file.get(), t, start, stride, count, NativeType::F64, out.data());
  // HDF5 returns the selection in the file's dimension order: columns first when the
  // column dimension comes before the row dimension, so transpose into row-major.
  if (s.col_dim >= 0 && s.col_dim < s.row_dim && s.rows > 1 && s.cols > 1) {
    std::vector<double> t_out(out.size());
    for (std::uint64_t c = 0; c < s.cols; ++c)
      for (std::uint64_t r = 0; r < s.rows; ++r) t_out[r * s.cols + c] = out[c * s.rows + r];
    out.swap(t_out);
  }
  return out;
}

}  // namespace orrery::h5inspect
