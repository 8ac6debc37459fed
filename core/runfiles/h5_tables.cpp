#include "runfiles/h5_tables.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace orrery::runfiles::h5 {

Hid string_type(std::size_t bytes) {
  Hid t(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy string type");
  check(H5Tset_size(t.get(), bytes), "cannot size string type");
  check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "cannot set string padding");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "cannot set string charset");
  return t;
}

Hid compound_type(std::size_t size, std::span<const Member> members, bool for_file) {
  Hid t(H5Tcreate(H5T_COMPOUND, size), H5Tclose, "cannot create compound type");
  for (const auto& m : members) {
    Hid owned;
    hid_t member_type = -1;
    switch (m.scalar) {
      case Scalar::I32: member_type = for_file ? H5T_STD_I32LE : H5T_NATIVE_INT32; break;
      case Scalar::I64: member_type = for_file ? H5T_STD_I64LE : H5T_NATIVE_INT64; break;
      case Scalar::F64: member_type = for_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE; break;
      case Scalar::Str:
        owned = string_type(m.bytes);
        member_type = owned.get();
        break;
    }
    check(H5Tinsert(t.get(), m.name, m.offset, member_type), std::string("cannot add member ") + m.name);
  }
  if (for_file) check(H5Tpack(t.get()), "cannot pack compound type");
  return t;
}

void put_fixed(char* field, std::size_t width, std::string_view text) {
  std::size_t n = std::min(width, text.size());
  if (n < text.size())
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0u) == 0x80u) --n;
  std::memcpy(field, text.data(), n);
  std::memset(field + n, 0, width - n);
}

hsize_t choose_chunk_rows(const RowKind& kind, std::size_t first_rows) {
  hsize_t want = std::bit_ceil(static_cast<hsize_t>(std::max<std::size_t>(first_rows, 1)) * 4);
  return std::clamp(want, kind.min_chunk_rows, kind.max_chunk_rows);
}

Hid dataset_access(const Table& t) {
  Hid dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, "cannot create dataset access list");
  check(H5Pset_chunk_cache(dapl.get(), 13, 2 * t.chunk_rows * t.kind->row_bytes, 1.0), "cannot set chunk cache");
  return dapl;
}

}  // namespace orrery::runfiles::h5
