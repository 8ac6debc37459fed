// Writes small HDF5 files with the C API for the tests of core/h5inspect and of the
// checkpoint browser (tests/gui/checkpoints): nested groups, any shape and type,
// optionally chunked and compressed, written a block of rows at a time.
#pragma once

#include <hdf5.h>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace orrery::h5_test {

class H5Writer {
 public:
  explicit H5Writer(const std::filesystem::path& p)
      : file_(H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    if (file_ < 0) throw std::runtime_error("cannot create " + p.string());
  }
  ~H5Writer() { H5Fclose(file_); }
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  // "/a/b/c" creates the groups a and a/b; chunked (and deflated) when chunk_rows > 0.
  template <typename T>
  void write(const std::string& path, const std::vector<hsize_t>& shape, const std::vector<T>& v, hid_t type,
             hsize_t chunk_rows = 0) {
    hid_t d = create(path, shape, type, chunk_rows);
    herr_t status = H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d);
    if (status < 0) throw std::runtime_error("cannot write " + path);
  }

  // A float32 dataset of rows x cols filled by value(row, col), written `block` rows at a
  // time (so a large test tensor never sits in memory whole).
  void write_rows(const std::string& path, hsize_t rows, hsize_t cols, const std::function<float(hsize_t, hsize_t)>& value,
                  hsize_t chunk_rows = 0, hsize_t block = 1024) {
    hid_t d = create(path, {rows, cols}, H5T_NATIVE_FLOAT, chunk_rows);
    hid_t fspace = H5Dget_space(d);
    std::vector<float> buf;
    herr_t status = 0;
    for (hsize_t r0 = 0; r0 < rows && status >= 0; r0 += block) {
      hsize_t n = std::min(block, rows - r0);
      buf.resize(n * cols);
      for (hsize_t r = 0; r < n; ++r)
        for (hsize_t c = 0; c < cols; ++c) buf[r * cols + c] = value(r0 + r, c);
      hsize_t start[2] = {r0, 0}, count[2] = {n, cols};
      H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr);
      hid_t mspace = H5Screate_simple(2, count, nullptr);
      status = H5Dwrite(d, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, buf.data());
      H5Sclose(mspace);
    }
    H5Sclose(fspace);
    H5Dclose(d);
    if (status < 0) throw std::runtime_error("cannot write " + path);
  }

  void write_string(const std::string& path, const std::string& s) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, s.size());
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(file_, path.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    herr_t status = d < 0 ? -1 : H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data());
    if (d >= 0) H5Dclose(d);
    H5Sclose(space);
    H5Tclose(type);
    if (status < 0) throw std::runtime_error("cannot write " + path);
  }

 private:
  hid_t create(const std::string& path, const std::vector<hsize_t>& shape, hid_t type, hsize_t chunk_rows) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t space = shape.empty() ? H5Screate(H5S_SCALAR)
                                : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (chunk_rows > 0) {
      std::vector<hsize_t> chunk(shape);
      chunk[0] = std::min(chunk_rows, shape[0]);
      H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
      H5Pset_deflate(dcpl, 1);
    }
    hid_t d = H5Dcreate2(file_, path.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Pclose(lcpl);
    if (d < 0) throw std::runtime_error("cannot create dataset " + path);
    return d;
  }

  hid_t file_;
};

}  // namespace orrery::h5_test
