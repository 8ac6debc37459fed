#include "runfiles/h5_util.hpp"

#include <algorithm>
#include <vector>

namespace orrery::runfiles::h5 {

namespace {
herr_t collect_error(unsigned, const H5E_error2_t* e, void* data) {
  auto* out = static_cast<Hdf5Error*>(data);
  if (e->min_num == H5E_NOTHDF5) out->not_hdf5 = true;
  if (e->min_num == H5E_TRUNCATED) out->truncated = true;
  if (e->desc && *e->desc && std::find(out->descs.begin(), out->descs.end(), e->desc) == out->descs.end())
    out->descs.emplace_back(e->desc);
  return 0;
}

}  // namespace

std::string Hdf5Error::text() const {
  std::string out;
  for (std::size_t i = 0; i < descs.size() && i < 5; ++i) out += (i ? ": " : "") + descs[i];
  return out.empty() ? "unknown HDF5 error" : out;
}

Hdf5Error hdf5_error() {
  Hdf5Error err;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &err);
  return err;
}

std::string hdf5_error_text() { return hdf5_error().text(); }

[[noreturn]] void fail(const std::string& what) { throw RunFileError(what + " (" + hdf5_error_text() + ")"); }

void write_string_attribute(hid_t loc, const std::string& key, const std::string& value) {
  if (H5Aexists(loc, key.c_str()) > 0) check(H5Adelete(loc, key.c_str()), "cannot replace attribute " + key);
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy string type");
  check(H5Tset_size(type.get(), kVariableString), "cannot make variable-length string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot set string charset");
  Hid space(H5Screate(H5S_SCALAR), H5Sclose, "cannot create scalar dataspace");
  Hid attr(H5Acreate2(loc, key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           "cannot create attribute " + key);
  const char* text = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &text), "cannot write attribute " + key);
}

void write_int_attribute(hid_t loc, const std::string& key, int value) {
  Hid space(H5Screate(H5S_SCALAR), H5Sclose, "cannot create scalar dataspace");
  Hid attr(H5Acreate2(loc, key.c_str(), H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           "cannot create attribute " + key);
  check(H5Awrite(attr.get(), H5T_NATIVE_INT, &value), "cannot write attribute " + key);
}

}  // namespace orrery::runfiles::h5
