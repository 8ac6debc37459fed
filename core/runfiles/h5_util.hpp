// HDF5 plumbing for the run.h5 writer and reader (internal to core/runfiles, not a public header):
// identifier ownership, HDF5 errors turned into RunFileError, a quiet error stack, and
// the root attribute helpers.
#pragma once

#include "runfiles/run_h5_writer.hpp"

#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

namespace orrery::runfiles::h5 {

// The HDF5 C headers spell these with C casts; naming them once keeps -Wold-style-cast useful elsewhere.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline constexpr hsize_t kUnlimited = H5S_UNLIMITED;
inline constexpr size_t kVariableString = H5T_VARIABLE;
#pragma GCC diagnostic pop


// HDF5 prints its whole error stack to stderr on every failure unless told not to.
// The writer reports errors as exceptions instead, so it silences printing for the
// duration of each call and restores whatever the process had set before.
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// What HDF5's error stack says: its descriptions outermost first ("unable to create
// file: unable to open file: ... Permission denied"), and whether it recognised the
// file as HDF5 at all / as truncated (readers tell damaged files apart by these).
struct Hdf5Error {
  std::vector<std::string> descs;
  bool not_hdf5 = false;
  bool truncated = false;
  std::string text() const;
};
Hdf5Error hdf5_error();
std::string hdf5_error_text();

// Throws RunFileError: what, then HDF5's own account of the failure.
[[noreturn]] void fail(const std::string& what);

inline void check(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

// Owns one HDF5 identifier.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer, const std::string& what) : id_(id), close_(closer) {
    if (id_ < 0) fail(what);
  }
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, -1);
      close_ = o.close_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && close_) status = close_(id_);
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

// Root (or any object's) attributes: a UTF-8 variable-length string, replacing one of
// the same key; a 32-bit integer.
void write_string_attribute(hid_t loc, const std::string& key, const std::string& value);
void write_int_attribute(hid_t loc, const std::string& key, int value);

}  // namespace orrery::runfiles::h5
