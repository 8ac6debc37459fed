#include "runfiles/run_h5_reader.hpp"

#include "runfiles/h5_tables.hpp"
#include "runfiles/h5_util.hpp"

#include <hdf5.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

namespace orrery::runfiles {

namespace {

// HDF5 plumbing and the table layouts are shared with the writer (h5_util.hpp,
// h5_tables.hpp); HDF5 converts from the file's types by member name, so a file
// written by another tool (h5py) with the same member names reads as well.
using h5::check;
using h5::EventRow;
using h5::fail;
using h5::Hdf5Error;
using h5::hdf5_error;
using h5::Hid;
using h5::kEventMembers;
using h5::kReducedMembers;
using h5::kSeriesMembers;
using h5::kSpanMembers;
using h5::kVariableString;
using h5::Member;
using h5::QuietHdf5;
using h5::ReducedRow;
using h5::Scalar;
using h5::SeriesRow;
using h5::SpanRow;

// How long opening waits for a writer that has the file open outside SWMR mode without
// holding RunH5Lock (a tool that does not take it; an Orrery writer holds it then).
constexpr auto kWriterReopenWait = std::chrono::seconds(2);
// How long a call waits for the writer to finish restructuring the file (RunH5Lock).
constexpr auto kWriterLockWait = std::chrono::milliseconds(2000);
// A SWMR reader re-reads metadata whose checksum fails, since the writer may be writing
// it that very moment, sleeping 1, 2, 4... ns in between. HDF5's default of 100 attempts
// would retry a damaged block for ages; 26 wait at most ~67 ms in all.
constexpr unsigned kSwmrReadAttempts = 26;
// Rows per read call: bounds the temporary buffer for long series.
constexpr hsize_t kReadBlockRows = 65536;
// Deeper groups than this cannot come from a valid name (200 characters).
constexpr int kMaxGroupDepth = 100;

// The memory type to read a table of `file_type` into Row: checks that the file has every
// member with a compatible class, and takes each string's character set from the file
// (HDF5 converts between string lengths but not between ASCII and UTF-8).
template <class Row, std::size_t N>
Hid memory_type(hid_t file_type, const Member (&members)[N], const std::string& what) {
  auto mismatch = [&]() {
    std::string list;
    for (const auto& m : members) list += (list.empty() ? "" : ", ") + std::string(m.name);
    return RunFileError(what + " is not a 1-D table with members " + list);
  };
  if (H5Tget_class(file_type) != H5T_COMPOUND) throw mismatch();
  Hid t(H5Tcreate(H5T_COMPOUND, sizeof(Row)), H5Tclose, "cannot create compound type");
  for (const auto& m : members) {
    int index = H5Tget_member_index(file_type, m.name);
    if (index < 0) throw mismatch();
    H5T_class_t file_class = H5Tget_member_class(file_type, static_cast<unsigned>(index));
    bool numeric = file_class == H5T_INTEGER || file_class == H5T_FLOAT;
    if (m.scalar == Scalar::Str ? file_class != H5T_STRING : !numeric) throw mismatch();
    Hid owned;
    hid_t member_type = -1;
    switch (m.scalar) {
      case Scalar::I32: member_type = H5T_NATIVE_INT32; break;
      case Scalar::I64: member_type = H5T_NATIVE_INT64; break;
      case Scalar::F64: member_type = H5T_NATIVE_DOUBLE; break;
      case Scalar::Str: {
        Hid file_member(H5Tget_member_type(file_type, static_cast<unsigned>(index)), H5Tclose,
                        "cannot get member type");
        if (H5Tis_variable_str(file_member.get()) > 0) throw mismatch();  // fixed-length strings only
        owned = Hid(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy string type");
        check(H5Tset_size(owned.get(), m.bytes), "cannot size string type");
        check(H5Tset_strpad(owned.get(), H5T_STR_NULLPAD), "cannot set string padding");
        check(H5Tset_cset(owned.get(), H5Tget_cset(file_member.get())), "cannot set string charset");
        member_type = owned.get();
        break;
      }
    }
    check(H5Tinsert(t.get(), m.name, m.offset, member_type), std::string("cannot add member ") + m.name);
  }
  return t;
}

std::string fixed_text(const char* field, std::size_t width) {
  const void* nul = std::memchr(field, 0, width);
  return std::string(field, nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - field) : width);
}

// "rank-17" -> 17; nullopt for anything else, including "rank-017" (it would not round-trip).
std::optional<int> parse_rank(std::string_view link) {
  constexpr std::string_view prefix = "rank-";
  if (!link.starts_with(prefix) || link.size() == prefix.size()) return std::nullopt;
  std::string_view digits = link.substr(prefix.size());
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int rank = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), rank);
  if (ec != std::errc() || end != digits.data() + digits.size() || rank < 0) return std::nullopt;
  return rank;
}

std::string rank_path(std::string_view parent, int rank) {
  return std::string(parent) + "/rank-" + std::to_string(rank);
}

// HDF5 callbacks run inside C code: exceptions must not unwind through it, so they
// are caught here and rethrown once HDF5 has returned.
struct Collected {
  std::exception_ptr error;
};

struct LinkNames : Collected {
  std::vector<std::string> names;
};

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* out = static_cast<LinkNames*>(data);
  try {
    // Only hard links: a soft or external link could point anywhere, even into another file.
    if (info->type == H5L_TYPE_HARD) out->names.emplace_back(name);
    return 0;
  } catch (...) {
    out->error = std::current_exception();
    return -1;
  }
}

std::optional<std::string> attribute_text(hid_t attr) {
  Hid space(H5Aget_space(attr), H5Sclose, "cannot get attribute dataspace");
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  Hid type(H5Aget_type(attr), H5Tclose, "cannot get attribute type");
  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      if (H5Tis_variable_str(type.get()) > 0) {
        Hid mem(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy string type");
        check(H5Tset_size(mem.get(), kVariableString), "cannot make variable-length string type");
        check(H5Tset_cset(mem.get(), H5Tget_cset(type.get())), "cannot set string charset");
        char* text = nullptr;
        check(H5Aread(attr, mem.get(), &text), "cannot read string attribute");
        std::string out = text ? text : "";
        H5free_memory(text);
        return out;
      }
      std::size_t size = H5Tget_size(type.get());
      if (size == 0) return std::string();
      std::string buf(size, '\0');
      check(H5Aread(attr, type.get(), buf.data()), "cannot read string attribute");
      std::string out = fixed_text(buf.data(), size);
      if (H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD)
        while (!out.empty() && out.back() == ' ') out.pop_back();
      return out;
    }
    case H5T_INTEGER: {
      std::int64_t v = 0;
      check(H5Aread(attr, H5T_NATIVE_INT64, &v), "cannot read integer attribute");
      return std::to_string(v);
    }
    case H5T_FLOAT: {
      double v = 0;
      check(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), "cannot read float attribute");
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
      return std::string(buf, end);
    }
    default: return std::nullopt;
  }
}

struct AttributeTexts : Collected {
  std::map<std::string, std::string> texts;
};

herr_t collect_attribute(hid_t loc, const char* name, const H5A_info_t*, void* data) {
  auto* out = static_cast<AttributeTexts*>(data);
  try {
    Hid attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose, std::string("cannot open attribute ") + name);
    if (auto text = attribute_text(attr.get())) out->texts[name] = *text;
    return 0;
  } catch (...) {
    out->error = std::current_exception();
    return -1;
  }
}

// ---------------------------------------------------------------- the shared handle

// A SWMR reader sees new data of existing datasets after a refresh, but not new objects:
// HDF5 1.10 reads the end-of-allocation address only when it opens the file, so objects
// the writer created since lie "past the end" for it. Seeing new series therefore takes
// closing and reopening the file. HDF5 shares one open file (and its metadata cache)
// between every H5Fopen of the same file in a process, so that only works when every
// reader of the file in this process closes its handle: readers of one file share one.
struct SharedFile {
  std::string where;
  Hid plain_fapl, swmr_fapl;
  Hid file;
  bool swmr = false;        // opened in SWMR-read mode: objects must be refreshed to see new data
  bool may_change = true;   // false when no writer had the file open when it was opened
};

class FileRegistry {
 public:
  static std::shared_ptr<SharedFile> get(const std::filesystem::path& path, const std::string& where) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw RunFileError("run file " + where + " does not exist");
    std::lock_guard guard(mutex());
    auto& slot = files()[{st.st_dev, st.st_ino}];
    auto shared = slot.lock();
    if (!shared) {
      shared = std::make_shared<SharedFile>();
      shared->where = where;
      slot = shared;
    }
    return shared;
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<SharedFile>>& files() {
    static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<SharedFile>> f;
    return f;
  }
};

// True when the file's superblock (version 3, at offset 0: what the writer makes) says
// that no writer has it open. Anything unexpected says "may change", the safe answer.
bool closed_by_writer(const std::filesystem::path& path) {
  unsigned char sb[12] = {};
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (!f) return false;
  std::size_t n = std::fread(sb, 1, sizeof sb, f);
  std::fclose(f);
  static constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  return n == sizeof sb && std::memcmp(sb, kSignature, 8) == 0 && sb[8] >= 3 && sb[11] == 0;
}

// Opens the file for `shared`; the caller holds the writer lock shared (it is released
// while waiting out a writer that is between SWMR sessions).
void open_hdf5(SharedFile& shared, const std::filesystem::path& path, RunH5Lock& lock) {
  const std::string& where = shared.where;
  if (!shared.plain_fapl) {
    shared.plain_fapl = Hid(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access list");
    // Like the writer: no HDF5 file locks, which would make a live reader and the
    // writer's reopen fail each other (RunH5Lock orders them instead).
    check(H5Pset_file_locking(shared.plain_fapl.get(), false, true), "cannot disable file locking");
    shared.swmr_fapl = Hid(H5Pcopy(shared.plain_fapl.get()), H5Pclose, "cannot copy file access list");
    check(H5Pset_metadata_read_attempts(shared.swmr_fapl.get(), kSwmrReadAttempts), "cannot set read attempts");
  }

  // A file no writer has open reads best in plain mode: HDF5 then checks it for
  // truncation, and damaged metadata fails at once instead of being re-read.
  shared.may_change = !closed_by_writer(path);
  if (!shared.may_change) {
    hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, shared.plain_fapl.get());
    if (id >= 0) {
      shared.file = Hid(id, H5Fclose, "");
      shared.swmr = false;
      return;
    }
    Hdf5Error plain_error = hdf5_error();
    if (plain_error.not_hdf5) throw RunFileError(where + " is not an HDF5 file (" + plain_error.text() + ")");
    if (plain_error.truncated) throw RunFileError(where + " is truncated or damaged (" + plain_error.text() + ")");
    if (plain_error.text().find("already open for write") == std::string::npos)
      throw RunFileError("cannot open " + where + " (" + plain_error.text() + ")");
    shared.may_change = true;  // a writer opened it just now
  }

  // SWMR-read works for a live writer, a crashed one (HDF5 skips its end-of-file check
  // then) and a cleanly closed file. HDF5 refuses it while a writer has the file open
  // outside SWMR mode: our writer does so only holding the lock, so this means a writer
  // that died there or a tool that does not take the lock; wait a little for the latter.
  const auto deadline = std::chrono::steady_clock::now() + kWriterReopenWait;
  for (;;) {
    hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, shared.swmr_fapl.get());
    if (id >= 0) {
      shared.file = Hid(id, H5Fclose, "");
      shared.swmr = true;
      return;
    }
    Hdf5Error swmr_error = hdf5_error();
    // Not HDF5 / truncated: no other mode reads it either.
    if (swmr_error.not_hdf5) throw RunFileError(where + " is not an HDF5 file (" + swmr_error.text() + ")");
    if (swmr_error.truncated) throw RunFileError(where + " is truncated or damaged (" + swmr_error.text() + ")");
    bool writer_outside_swmr = swmr_error.text().find("not already open for SWMR writing") != std::string::npos;
    if (writer_outside_swmr && std::chrono::steady_clock::now() < deadline) {
      lock.release();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!lock.acquire(kWriterLockWait)) throw RunFileError(where + " is busy: its writer holds the lock; try again");
      continue;
    }
    // Files of older libraries (superblock < 3) and anything else SWMR-read refuses.
    id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, shared.plain_fapl.get());
    if (id >= 0) {
      shared.file = Hid(id, H5Fclose, "");
      shared.swmr = false;
      shared.may_change = false;
      return;
    }
    Hdf5Error plain_error = hdf5_error();
    if (writer_outside_swmr)
      throw RunFileError(where +
                         " is held by a writer outside SWMR mode: an Orrery agent stuck or killed while "
                         "creating new series (if no agent is running, open a copy after `h5clear -s --increment`; "
                         "never `-s` alone, it truncates) (" +
                         swmr_error.text() + ")");
    if (plain_error.not_hdf5) throw RunFileError(where + " is not an HDF5 file (" + plain_error.text() + ")");
    if (plain_error.truncated) throw RunFileError(where + " is truncated or damaged (" + plain_error.text() + ")");
    throw RunFileError("cannot open " + where + " (" + swmr_error.text() + "; " + plain_error.text() + ")");
  }
}

}  // namespace

// ---------------------------------------------------------------- the reader

struct RunH5Reader::Impl {
  std::filesystem::path path;
  std::string where;  // "'<path>'" for messages
  mutable std::optional<RunH5Lock> lock;  // held shared during each call
  std::shared_ptr<SharedFile> shared;
  RunH5Info info;

  hid_t file() const { return shared->file.get(); }
  bool swmr() const { return shared->swmr; }

  // What every public call holds: HDF5 error printing off, and the writer lock shared
  // (so the writer is not restructuring the file meanwhile); the file is open.
  class Call {
   public:
    explicit Call(const Impl& impl) : impl_(impl) {
      if (!impl_.lock->acquire(kWriterLockWait))
        throw RunFileError(impl_.where + " is busy: its writer has been creating new series for over " +
                           std::to_string(kWriterLockWait.count()) + " ms; try again");
      try {
        if (!impl_.shared->file) open_hdf5(*impl_.shared, impl_.path, *impl_.lock);
      } catch (...) {
        impl_.lock->release();
        throw;
      }
    }
    ~Call() { impl_.lock->release(); }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    QuietHdf5 quiet_;
    const Impl& impl_;
  };

  // Closes and reopens the file so objects created since it was opened are seen (see
  // SharedFile). Nothing to do for a file nobody was writing when it was opened.
  void reopen() const {
    if (!shared->swmr || !shared->may_change) return;
    shared->file.reset();
    open_hdf5(*shared, path, *lock);
  }

  // Opens the dataset top/rel (rel may contain '/'), refreshing every group on the way:
  // a group the writer added links to since it was cached must not be read half from
  // the cache and half from disk. A dataset created after the file was opened needs a
  // reopen first (see SharedFile).
  Hid open_table(const std::string& top, const std::string& rel, const std::string& what) const {
    try {
      return open_table_once(top, rel, what);
    } catch (const RunFileError&) {
      if (!shared->swmr || !shared->may_change) throw;
    }
    reopen();
    return open_table_once(top, rel, what);
  }

  Hid open_table_once(const std::string& top, const std::string& rel, const std::string& what) const {
    Hid g = open_group(top);
    std::string p = top;
    std::size_t start = 0;
    for (std::size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', start)) {
      std::string segment = rel.substr(start, slash - start);
      p += "/" + segment;
      Hid child(H5Gopen2(g.get(), segment.c_str(), H5P_DEFAULT), H5Gclose, "no " + what + " in " + where);
      if (swmr()) check(H5Grefresh(child.get()), "cannot refresh group " + p + " in " + where);
      g = std::move(child);
      start = slash + 1;
    }
    std::string last = rel.substr(start);
    Hid d(H5Dopen2(g.get(), last.c_str(), H5P_DEFAULT), H5Dclose, "no " + what + " in " + where);
    if (swmr()) check(H5Drefresh(d.get()), "cannot refresh " + p + "/" + last + " in " + where);
    return d;
  }

  // Opens a group and, in SWMR mode, drops what the cache holds for it (see open_table).
  Hid open_group(const std::string& p) const {
    Hid g(H5Gopen2(file(), p.c_str(), H5P_DEFAULT), H5Gclose, "cannot open group " + p + " in " + where);
    if (swmr()) check(H5Grefresh(g.get()), "cannot refresh group " + p + " in " + where);
    return g;
  }
  bool exists(const std::string& p) const {
    // H5Lexists checks the last component only; every parent here is a top-level group.
    return H5Lexists(file(), p.c_str(), H5P_DEFAULT) > 0;
  }

  std::vector<std::string> links(hid_t group, const std::string& p) const {
    LinkNames out;
    herr_t status = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &out);
    if (out.error) std::rethrow_exception(out.error);
    check(status, "cannot list group " + p + " in " + where);
    return std::move(out.names);
  }

  H5O_type_t object_type(hid_t group, const std::string& name, haddr_t* addr = nullptr) const {
    H5O_info_t oi;
    if (H5Oget_info_by_name2(group, name.c_str(), &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
    if (addr) *addr = oi.addr;
    return oi.type;
  }

  // Names (relative to `base`) of every dataset below the group at p; each group
  // visited once, so hard-link cycles in a hand-edited file end.
  void collect_datasets(const std::string& p, const std::string& base, int depth, std::set<haddr_t>& seen,
                        std::vector<std::string>& out) const {
    if (depth > kMaxGroupDepth) return;
    Hid g = open_group(p);
    for (const auto& name : links(g.get(), p)) {
      haddr_t addr = 0;
      std::string rel = base.empty() ? name : base + "/" + name;
      switch (object_type(g.get(), name, &addr)) {
        case H5O_TYPE_DATASET: out.push_back(rel); break;
        case H5O_TYPE_GROUP:
          if (seen.insert(addr).second) collect_datasets(p + "/" + name, rel, depth + 1, seen, out);
          break;
        default: break;
      }
    }
  }

  // Ranks with an object of `type` named rank-N directly below the group at p.
  std::vector<int> ranks_below(const std::string& p, H5O_type_t type) const {
    std::vector<int> ranks;
    if (!exists(p)) return ranks;
    Hid g = open_group(p);
    for (const auto& name : links(g.get(), p))
      if (auto rank = parse_rank(name); rank && object_type(g.get(), name) == type) ranks.push_back(*rank);
    std::sort(ranks.begin(), ranks.end());
    return ranks;
  }

  // Checks that the dataset is a 1-D table with `members`; returns the memory type to read it into Row.
  template <class Row, std::size_t N>
  Hid table_type(hid_t dset, const std::string& p, const Member (&members)[N]) const {
    Hid space(H5Dget_space(dset), H5Sclose, "cannot get dataspace of " + p);
    if (H5Sget_simple_extent_ndims(space.get()) != 1) throw RunFileError(p + " in " + where + " is not a 1-D table");
    Hid type(H5Dget_type(dset), H5Tclose, "cannot get type of " + p);
    return memory_type<Row>(type.get(), members, p + " in " + where);
  }

  // Reads all rows of a 1-D dataset in blocks: reserve(rows) once, then sink(row) for each.
  template <class Row, class Reserve, class Sink>
  void read_rows(hid_t dset, hid_t mem_type, const std::string& p, Reserve&& reserve, Sink&& sink) const {
    Hid fspace(H5Dget_space(dset), H5Sclose, "cannot get dataspace of " + p);
    hsize_t rows = 0;
    check(H5Sget_simple_extent_dims(fspace.get(), &rows, nullptr), "cannot get size of " + p);
    reserve(static_cast<std::size_t>(rows));
    std::vector<Row> buf(static_cast<std::size_t>(std::min(rows, kReadBlockRows)));
    for (hsize_t start = 0; start < rows; start += kReadBlockRows) {
      hsize_t count = std::min(kReadBlockRows, rows - start);
      check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
            "cannot select rows of " + p);
      Hid mspace(H5Screate_simple(1, &count, nullptr), H5Sclose, "cannot create memory dataspace");
      check(H5Dread(dset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()),
            "cannot read " + p + " in " + where);
      for (hsize_t i = 0; i < count; ++i) sink(buf[static_cast<std::size_t>(i)]);
    }
  }

  std::map<std::string, std::string> root_attributes() const {
    Hid root(H5Oopen(file(), "/", H5P_DEFAULT), H5Oclose, "cannot open root group of " + where);
    AttributeTexts out;
    herr_t status = H5Aiterate2(root.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attribute, &out);
    if (out.error) std::rethrow_exception(out.error);
    check(status, "cannot read root attributes of " + where);
    return std::move(out.texts);
  }

  void check_format() {
    std::map<std::string, std::string> attrs;
    try {
      attrs = root_attributes();
    } catch (const RunFileError& e) {
      throw RunFileError(where + " is damaged: " + e.what());
    }
    auto format = attrs.find("format");
    if (format == attrs.end() || format->second != kRunH5Format)
      throw RunFileError(where + " is an HDF5 file but not an Orrery run file (root attribute format is " +
                         (format == attrs.end() ? std::string("missing") : "\"" + format->second + "\"") + ")");
    auto version = attrs.find("format_version");
    int v = 0;
    if (version != attrs.end()) {
      const std::string& text = version->second;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) v = 0;
    }
    if (v != kRunH5FormatVersion)
      throw RunFileError(where + " has run-file format_version " +
                         (version == attrs.end() ? std::string("(missing)") : version->second) +
                         "; this build of Orrery reads version " + std::to_string(kRunH5FormatVersion) +
                         (v > kRunH5FormatVersion ? " (the file comes from a newer Orrery)" : ""));
    info.run_id = attrs["run_id"];
    info.kind = attrs["kind"];
    const std::string& ranks = attrs["ranks"];
    std::from_chars(ranks.data(), ranks.data() + ranks.size(), info.ranks);
  }
};

RunH5Reader::RunH5Reader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = path;
  s.where = "'" + path.string() + "'";
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw RunFileError("run file " + s.where + " does not exist");
  if (!std::filesystem::is_regular_file(status)) throw RunFileError("run file " + s.where + " is not a regular file");
  s.lock.emplace(path, RunH5Lock::Mode::Shared);
  s.shared = FileRegistry::get(path, s.where);
  Impl::Call call(s);  // opens the file unless another reader in this process has it open
  s.check_format();
}

RunH5Reader::~RunH5Reader() {
  if (!impl_) return;
  QuietHdf5 quiet;
  impl_->shared.reset();  // the last reader of the file closes it
}
RunH5Reader::RunH5Reader(RunH5Reader&&) noexcept = default;
RunH5Reader& RunH5Reader::operator=(RunH5Reader&&) noexcept = default;

const std::filesystem::path& RunH5Reader::path() const { return impl_->path; }

RunH5Info RunH5Reader::info() const { return impl_->info; }  // read at open: these never change

std::vector<SeriesKey> RunH5Reader::list_series() const {
  const Impl& s = *impl_;
  Impl::Call call(s);
  s.reopen();
  std::vector<SeriesKey> keys;
  for (const char* group : {"metrics", "system"}) {
    std::string group_path = std::string("/") + group;
    for (int rank : s.ranks_below(group_path, H5O_TYPE_GROUP)) {
      std::vector<std::string> names;
      std::set<haddr_t> seen;
      s.collect_datasets(rank_path(group_path, rank), "", 0, seen, names);
      for (auto& n : names) keys.push_back({group, rank, std::move(n)});
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

SeriesData RunH5Reader::read_series(const SeriesKey& key) const {
  const Impl& s = *impl_;
  if (key.group != "metrics" && key.group != "system")
    throw RunFileError("unknown series group \"" + key.group + "\" (expected metrics or system)");
  if (key.name.empty() || key.rank < 0) throw RunFileError("invalid series key");
  Impl::Call call(s);
  std::string top = "/" + key.group;
  std::string p = rank_path(top, key.rank) + "/" + key.name;
  Hid d = s.open_table(top, "rank-" + std::to_string(key.rank) + "/" + key.name, "series " + p.substr(1));
  Hid mem = s.table_type<SeriesRow>(d.get(), p, kSeriesMembers);
  SeriesData out;
  auto reserve = [&](std::size_t n) {
    out.steps.reserve(n);
    out.times.reserve(n);
    out.values.reserve(n);
  };
  s.read_rows<SeriesRow>(d.get(), mem.get(), p, reserve, [&](const SeriesRow& r) {
    out.steps.push_back(r.step);
    out.times.push_back(r.time);
    out.values.push_back(r.value);
  });
  return out;
}

std::vector<std::string> RunH5Reader::reduced_names() const {
  const Impl& s = *impl_;
  Impl::Call call(s);
  s.reopen();
  std::vector<std::string> names;
  if (!s.exists("/reduced")) return names;
  std::set<haddr_t> seen;
  s.collect_datasets("/reduced", "", 0, seen, names);
  std::sort(names.begin(), names.end());
  return names;
}

ReducedData RunH5Reader::read_reduced(const std::string& name) const {
  const Impl& s = *impl_;
  if (name.empty()) throw RunFileError("empty reduced series name");
  Impl::Call call(s);
  std::string p = "/reduced/" + name;
  Hid d = s.open_table("/reduced", name, "reduced series " + name);
  Hid mem = s.table_type<ReducedRow>(d.get(), p, kReducedMembers);
  ReducedData out;
  auto reserve = [&](std::size_t n) {
    for (auto* v : {&out.times, &out.mean, &out.min, &out.max}) v->reserve(n);
    out.steps.reserve(n);
    out.count.reserve(n);
  };
  s.read_rows<ReducedRow>(d.get(), mem.get(), p, reserve, [&](const ReducedRow& r) {
    out.steps.push_back(r.step);
    out.times.push_back(r.time);
    out.mean.push_back(r.mean);
    out.min.push_back(r.min);
    out.max.push_back(r.max);
    out.count.push_back(r.count);
  });
  return out;
}

std::vector<int> RunH5Reader::span_ranks() const {
  const Impl& s = *impl_;
  Impl::Call call(s);
  s.reopen();
  return s.ranks_below("/spans", H5O_TYPE_DATASET);
}

std::vector<SpanRecord> RunH5Reader::read_spans(int rank) const {
  const Impl& s = *impl_;
  if (rank < 0) throw RunFileError("invalid rank " + std::to_string(rank));
  Impl::Call call(s);
  std::string p = rank_path("/spans", rank);
  Hid d = s.open_table("/spans", "rank-" + std::to_string(rank), "spans for rank " + std::to_string(rank));
  Hid mem = s.table_type<SpanRow>(d.get(), p, kSpanMembers);
  std::vector<SpanRecord> out;
  s.read_rows<SpanRow>(d.get(), mem.get(), p, [&](std::size_t n) { out.reserve(n); }, [&](const SpanRow& r) {
    out.push_back({fixed_text(r.kind, kSpanKindBytes), fixed_text(r.name, kSpanNameBytes), r.step, r.start, r.end});
  });
  return out;
}

std::vector<EventRecord> RunH5Reader::read_events() const {
  const Impl& s = *impl_;
  Impl::Call call(s);
  std::vector<EventRecord> out;
  if (!s.exists("/events")) return out;
  // /events hangs off the root group, which never gains links: no refresh but its own.
  Hid d(H5Dopen2(s.file(), "/events", H5P_DEFAULT), H5Dclose, "no events in " + s.where);
  if (s.swmr()) check(H5Drefresh(d.get()), "cannot refresh /events in " + s.where);
  Hid mem = s.table_type<EventRow>(d.get(), "/events", kEventMembers);
  s.read_rows<EventRow>(d.get(), mem.get(), "/events", [&](std::size_t n) { out.reserve(n); }, [&](const EventRow& r) {
    out.push_back({r.time, r.rank, r.step, fixed_text(r.kind, kEventKindBytes), fixed_text(r.text, kEventTextBytes)});
  });
  return out;
}

std::map<std::string, std::string> RunH5Reader::attributes() const {
  const Impl& s = *impl_;
  Impl::Call call(s);
  s.reopen();  // attributes set later are new objects too
  return s.root_attributes();
}

}  // namespace orrery::runfiles
