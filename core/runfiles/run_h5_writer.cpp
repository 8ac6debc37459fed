#include "runfiles/run_h5_writer.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace orrery::runfiles {

namespace {

// The HDF5 C headers spell these with C casts; naming them once keeps -Wold-style-cast useful elsewhere.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
constexpr hsize_t kUnlimited = H5S_UNLIMITED;
constexpr size_t kVariableString = H5T_VARIABLE;
#pragma GCC diagnostic pop

// How long a flush waits for readers to let go of the writer lock before it leaves
// creating new objects to the next flush, and how long close() waits before creating
// them regardless.
constexpr auto kFlushLockWait = std::chrono::milliseconds(200);
constexpr auto kCloseLockWait = std::chrono::milliseconds(5000);

bool valid_segment(std::string_view s) {
  if (s.empty() || s.size() > 64 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

// ---------------------------------------------------------------- HDF5 plumbing

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

herr_t collect_error(unsigned, const H5E_error2_t* e, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (e->desc && *e->desc && std::find(out->begin(), out->end(), e->desc) == out->end()) out->emplace_back(e->desc);
  return 0;
}

// The descriptions on HDF5's error stack, outermost first ("unable to create file:
// unable to open file: ... Permission denied").
std::string hdf5_error_text() {
  std::vector<std::string> descs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &descs);
  std::string out;
  for (std::size_t i = 0; i < descs.size() && i < 5; ++i) out += (i ? ": " : "") + descs[i];
  return out.empty() ? "unknown HDF5 error" : out;
}

[[noreturn]] void fail(const std::string& what) { throw RunFileError(what + " (" + hdf5_error_text() + ")"); }

void check(herr_t status, const std::string& what) {
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

// ---------------------------------------------------------------- records

// In-memory rows. The file types are the same members packed without padding
// (FORMAT_H5.md); HDF5 converts by member name where the two differ.
struct SeriesRow {
  std::int64_t step;
  double time;
  double value;
};
struct ReducedRow {
  std::int64_t step;
  double time;
  double mean;
  double min;
  double max;
  std::int32_t count;
};
struct SpanRow {
  double start;
  double end;
  std::int64_t step;
  char kind[kSpanKindBytes];
  char name[kSpanNameBytes];
};
struct EventRow {
  double time;
  std::int32_t rank;
  std::int64_t step;
  char kind[kEventKindBytes];
  char text[kEventTextBytes];
};

enum class Scalar { I32, I64, F64, Str };
struct Member {
  const char* name;
  std::size_t offset;
  Scalar scalar;
  std::size_t bytes;  // Str only
};

Hid string_type(std::size_t bytes) {
  Hid t(H5Tcopy(H5T_C_S1), H5Tclose, "cannot copy string type");
  check(H5Tset_size(t.get(), bytes), "cannot size string type");
  check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "cannot set string padding");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "cannot set string charset");
  return t;
}

// for_file: little-endian standard types, packed; otherwise native types at the struct's offsets.
Hid compound_type(std::size_t size, std::initializer_list<Member> members, bool for_file) {
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

// One kind of table: its row types and the range its chunk size is chosen from.
struct RowKind {
  Hid mem;
  Hid file;
  std::size_t row_bytes = 0;
  hsize_t min_chunk_rows = 0;
  hsize_t max_chunk_rows = 0;
};

template <class Row>
RowKind make_kind(std::initializer_list<Member> members, hsize_t min_chunk, hsize_t max_chunk) {
  RowKind k;
  k.mem = compound_type(sizeof(Row), members, false);
  k.file = compound_type(sizeof(Row), members, true);
  k.row_bytes = sizeof(Row);
  k.min_chunk_rows = min_chunk;
  k.max_chunk_rows = max_chunk;
  return k;
}

// Copies text into a fixed NUL-padded field, cut at a UTF-8 character boundary.
void put_fixed(char* field, std::size_t width, std::string_view text) {
  std::size_t n = std::min(width, text.size());
  if (n < text.size())
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0u) == 0x80u) --n;
  std::memcpy(field, text.data(), n);
  std::memset(field + n, 0, width - n);
}

// One extendible dataset and the rows waiting for it. Rows are kept as bytes so one
// non-template type serves every record kind.
struct Table {
  const RowKind* kind = nullptr;
  std::string path;  // absolute HDF5 path
  Hid dset;
  hsize_t rows_in_file = 0;
  hsize_t chunk_rows = 0;  // chosen at creation
  bool created = false;    // exists in the file
  bool dirty = false;      // has pending rows and is listed in Impl::dirty
  std::vector<std::byte> pending;

  std::size_t pending_rows() const { return pending.size() / kind->row_bytes; }
  template <class Row>
  Row* grow(std::size_t n) {
    std::size_t old = pending.size();
    pending.resize(old + n * sizeof(Row));
    return reinterpret_cast<Row*>(pending.data() + old);
  }
};

// A chunk holds about four times a series' first flush, within the kind's bounds. HDF5
// writes whole chunks, so every flush rewrites the partly filled last chunk: a chunk of
// k flushes' worth costs ~k times the data in writes, and a series' last chunk wastes up
// to a chunk on disk. Smaller chunks cost CPU instead (each new chunk updates the SWMR
// chunk index; one flush's worth cost ~15% more CPU than four in bench/h5_append with
// 2048 series). So a metric sampled once a second gets small chunks (thousands of them
// stay small on disk and cheap to flush), one streaming 100k points/s gets large ones.
hsize_t choose_chunk_rows(const RowKind& kind, std::size_t first_rows) {
  hsize_t want = std::bit_ceil(static_cast<hsize_t>(std::max<std::size_t>(first_rows, 1)) * 4);
  return std::clamp(want, kind.min_chunk_rows, kind.max_chunk_rows);
}

// The chunk cache only has to keep the partly filled tail chunk between flushes (so a
// flush does not read it back); HDF5's default of 1 MiB per dataset would cost a
// gigabyte with a thousand series.
Hid dataset_access(const Table& t) {
  Hid dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, "cannot create dataset access list");
  check(H5Pset_chunk_cache(dapl.get(), 13, 2 * t.chunk_rows * t.kind->row_bytes, 1.0), "cannot set chunk cache");
  return dapl;
}

struct Namespace {
  std::set<std::string, std::less<>> datasets;
  std::set<std::string, std::less<>> groups;

  // Reserves name as a dataset; false when it would need an existing dataset to be a
  // group or an existing group to be a dataset.
  bool claim(std::string_view name) {
    if (datasets.contains(name)) return true;
    if (groups.contains(name)) return false;
    for (std::size_t slash = name.find('/'); slash != std::string_view::npos; slash = name.find('/', slash + 1))
      if (datasets.contains(name.substr(0, slash))) return false;
    for (std::size_t slash = name.find('/'); slash != std::string_view::npos; slash = name.find('/', slash + 1))
      groups.emplace(name.substr(0, slash));
    datasets.emplace(name);
    return true;
  }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

bool reserved_attribute(std::string_view key) {
  return key == "format" || key == "format_version" || key == "run_id" || key == "kind" || key == "ranks";
}

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

void append_number(std::string& out, int value) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

}  // namespace

// ---------------------------------------------------------------- the lock

RunH5Lock::RunH5Lock(const std::filesystem::path& path, Mode mode) : mode_(mode) {
  int flags = mode == Mode::Exclusive ? O_RDWR | O_CREAT : O_RDONLY;
  fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd_ < 0) throw RunFileError("cannot open '" + path.string() + "' for locking: " + std::strerror(errno));
}

RunH5Lock::~RunH5Lock() {
  if (fd_ >= 0) ::close(fd_);  // also drops the lock
}

RunH5Lock::RunH5Lock(RunH5Lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), mode_(other.mode_), held_(std::exchange(other.held_, false)) {}

RunH5Lock& RunH5Lock::operator=(RunH5Lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    mode_ = other.mode_;
    held_ = std::exchange(other.held_, false);
  }
  return *this;
}

bool RunH5Lock::acquire(std::chrono::milliseconds wait) {
  if (held_) return true;
  struct flock fl {};
  fl.l_type = mode_ == Mode::Exclusive ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    if (::fcntl(fd_, F_OFD_SETLK, &fl) == 0) {
      held_ = true;
      return true;
    }
    // Anything but "someone else holds it" means no usable locks here (EINVAL: kernel
    // without OFD locks, ENOLCK: a file system without locks): go on without.
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
}

void RunH5Lock::release() noexcept {
  if (!held_) return;
  struct flock fl {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  ::fcntl(fd_, F_OFD_SETLK, &fl);
  held_ = false;
}

bool valid_series_name(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  for (std::size_t start = 0;;) {
    std::size_t slash = name.find('/', start);
    if (!valid_segment(name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// ---------------------------------------------------------------- the writer

struct RunH5Writer::Impl {
  std::string path;
  std::optional<RunH5Lock> lock;
  Hid fapl;
  Hid file;
  RowKind series_kind, reduced_kind, span_kind, event_kind;

  std::vector<std::unique_ptr<Table>> tables;  // every table, in creation order
  std::unordered_map<std::string, Table*, StringHash, std::equal_to<>> by_path;
  std::map<std::string, Namespace, std::less<>> namespaces;  // by parent path: "/metrics/rank-0", "/reduced"
  Table* events = nullptr;
  std::vector<Table*> dirty;      // tables with pending rows
  std::vector<Table*> uncreated;  // tables whose dataset the next flush creates
  std::map<std::string, std::string> pending_attributes;
  std::size_t pending_rows = 0;
  std::uint64_t rejected = 0;
  std::string key;      // scratch for building paths without allocating per append
  // append_reduced() comes once per row, many rows of one name in a row: the last
  // name's table skips building and hashing its path each time.
  std::string last_reduced_name;
  Table* last_reduced = nullptr;
  std::string failure;  // set after an HDF5 error; the writer is then unusable
  bool closed = false;

  bool usable() const { return !closed && failure.empty(); }

  Table* find(std::string_view p) {
    auto it = by_path.find(p);
    return it == by_path.end() ? nullptr : it->second;
  }

  Table* add_table(const RowKind& kind, std::string table_path) {
    auto t = std::make_unique<Table>();
    t->kind = &kind;
    t->path = std::move(table_path);
    Table* raw = t.get();
    by_path.emplace(raw->path, raw);
    tables.push_back(std::move(t));
    uncreated.push_back(raw);
    return raw;
  }

  // The table at `key` (= parent + "/" + name, parent being the first parent_len
  // characters), created in memory on first use; nullptr when the name is invalid or
  // conflicts. Working on `key` in place keeps the hot path free of allocations.
  Table* table_for(const RowKind& kind, std::size_t parent_len) {
    if (Table* t = find(key)) return t;
    std::string_view parent = std::string_view(key).substr(0, parent_len);
    std::string_view name = std::string_view(key).substr(parent_len + 1);
    if (!valid_series_name(name)) return nullptr;
    auto ns = namespaces.find(parent);
    if (ns == namespaces.end()) ns = namespaces.emplace(std::string(parent), Namespace{}).first;
    if (!ns->second.claim(name)) return nullptr;
    return add_table(kind, key);
  }

  void mark_dirty(Table* t, std::size_t rows) {
    if (!t->dirty) {
      t->dirty = true;
      dirty.push_back(t);
    }
    pending_rows += rows;
  }

  void open_file_rw() {
    file = Hid(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, "cannot reopen run file '" + path + "'");
  }

  void create_dataset(Table& t) {
    t.chunk_rows = choose_chunk_rows(*t.kind, t.pending_rows());
    hsize_t dims = 0, maxdims = kUnlimited;
    Hid space(H5Screate_simple(1, &dims, &maxdims), H5Sclose, "cannot create dataspace");
    Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "cannot create dataset creation list");
    check(H5Pset_chunk(dcpl.get(), 1, &t.chunk_rows), "cannot set chunk size");
    Hid lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "cannot create link creation list");
    check(H5Pset_create_intermediate_group(lcpl.get(), 1), "cannot request intermediate groups");
    Hid dapl = dataset_access(t);
    t.dset = Hid(H5Dcreate2(file.get(), t.path.c_str(), t.kind->file.get(), space.get(), lcpl.get(), dcpl.get(),
                            dapl.get()),
                 H5Dclose, "cannot create dataset " + t.path);
    t.created = true;
  }

  void open_dataset(Table& t) {
    Hid dapl = dataset_access(t);
    t.dset = Hid(H5Dopen2(file.get(), t.path.c_str(), dapl.get()), H5Dclose, "cannot reopen dataset " + t.path);
  }

  void create_group(const char* name) {
    Hid g(H5Gcreate2(file.get(), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
          std::string("cannot create group ") + name);
  }

  // HDF5 1.10 cannot create objects (or attributes) in SWMR write mode, and there is no
  // call to leave that mode: close the file, reopen it for plain writing, create what is
  // missing, and re-enter SWMR mode. The other datasets are reopened when they next get
  // rows, so the cost follows the series that are active, not all that exist.
  void reopen_and_create() {
    for (auto& t : tables) check(t->dset.reset(), "cannot close dataset " + t->path);
    check(file.reset(), "cannot close run file '" + path + "' to create new series");
    open_file_rw();
    for (Table* t : uncreated) create_dataset(*t);
    uncreated.clear();
    for (const auto& [k, v] : pending_attributes) write_string_attribute(file.get(), k, v);
    pending_attributes.clear();
    check(H5Fstart_swmr_write(file.get()), "cannot re-enter SWMR write mode on '" + path + "'");
  }

  void write_pending(Table& t) {
    hsize_t n = t.pending_rows();
    t.dirty = false;
    if (n == 0) return;
    if (!t.dset) open_dataset(t);  // closed by a reopen since its last rows
    hsize_t start = t.rows_in_file, total = t.rows_in_file + n;
    check(H5Dset_extent(t.dset.get(), &total), "cannot extend " + t.path);
    Hid fspace(H5Dget_space(t.dset.get()), H5Sclose, "cannot get dataspace of " + t.path);
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr),
          "cannot select rows of " + t.path);
    Hid mspace(H5Screate_simple(1, &n, nullptr), H5Sclose, "cannot create memory dataspace");
    check(H5Dwrite(t.dset.get(), t.kind->mem.get(), mspace.get(), fspace.get(), H5P_DEFAULT, t.pending.data()),
          "cannot write " + t.path);
    t.rows_in_file = total;
    pending_rows -= n;
    // Keep the buffer for the next interval, unless a burst left it large: larger than 4 MiB
    // and than four times what this interval wrote. (A series that steadily fills more than
    // 4 MiB per interval keeps its buffer: freeing it would cost a regrowth by doubling and
    // fresh pages on every flush.)
    if (t.pending.capacity() > std::max(std::size_t{1} << 22, 4 * t.pending.size()))
      std::vector<std::byte>().swap(t.pending);
    else
      t.pending.clear();
  }

  // lock_wait: how long to wait for readers before leaving new objects for later;
  // force: create them even without the lock (close()).
  void flush(std::chrono::milliseconds lock_wait, bool force) {
    if (!failure.empty()) throw RunFileError("run file writer for '" + path + "' failed earlier: " + failure);
    if (closed) throw RunFileError("run file writer for '" + path + "' is closed");
    if (uncreated.empty() && pending_attributes.empty() && dirty.empty()) return;
    QuietHdf5 quiet;
    try {
      if (!uncreated.empty() || !pending_attributes.empty()) {
        if (lock->acquire(lock_wait) || force) reopen_and_create();
        lock->release();
      }
      // Tables still waiting for their dataset keep their rows for a later flush.
      std::size_t kept = 0, written = 0;
      for (Table* t : dirty) {
        if (t->created) {
          write_pending(*t);
          ++written;
        } else {
          dirty[kept++] = t;
        }
      }
      dirty.resize(kept);
      if (written > 0) check(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "cannot flush run file '" + path + "'");
    } catch (const RunFileError& e) {
      failure = e.what();
      release();
      lock->release();
      throw;
    }
  }

  // Closes every handle; errors are ignored (this runs on failure and at the end).
  void release() noexcept {
    for (auto& t : tables) t->dset.reset();
    file.reset();
  }
};

RunH5Writer::RunH5Writer(const std::filesystem::path& path, const RunH5Info& info) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = path.string();
  QuietHdf5 quiet;
  // Readers of an older file at this path must be out before it is truncated.
  s.lock.emplace(path, RunH5Lock::Mode::Exclusive);
  s.lock->acquire(kCloseLockWait);
  try {
    s.series_kind = make_kind<SeriesRow>({{"step", offsetof(SeriesRow, step), Scalar::I64, 0},
                                          {"time", offsetof(SeriesRow, time), Scalar::F64, 0},
                                          {"value", offsetof(SeriesRow, value), Scalar::F64, 0}},
                                         128, 16384);
    s.reduced_kind = make_kind<ReducedRow>({{"step", offsetof(ReducedRow, step), Scalar::I64, 0},
                                            {"time", offsetof(ReducedRow, time), Scalar::F64, 0},
                                            {"mean", offsetof(ReducedRow, mean), Scalar::F64, 0},
                                            {"min", offsetof(ReducedRow, min), Scalar::F64, 0},
                                            {"max", offsetof(ReducedRow, max), Scalar::F64, 0},
                                            {"count", offsetof(ReducedRow, count), Scalar::I32, 0}},
                                           128, 8192);
    s.span_kind = make_kind<SpanRow>({{"start", offsetof(SpanRow, start), Scalar::F64, 0},
                                      {"end", offsetof(SpanRow, end), Scalar::F64, 0},
                                      {"step", offsetof(SpanRow, step), Scalar::I64, 0},
                                      {"kind", offsetof(SpanRow, kind), Scalar::Str, kSpanKindBytes},
                                      {"name", offsetof(SpanRow, name), Scalar::Str, kSpanNameBytes}},
                                     64, 4096);
    s.event_kind = make_kind<EventRow>({{"time", offsetof(EventRow, time), Scalar::F64, 0},
                                        {"rank", offsetof(EventRow, rank), Scalar::I32, 0},
                                        {"step", offsetof(EventRow, step), Scalar::I64, 0},
                                        {"kind", offsetof(EventRow, kind), Scalar::Str, kEventKindBytes},
                                        {"text", offsetof(EventRow, text), Scalar::Str, kEventTextBytes}},
                                       64, 1024);

    s.fapl = Hid(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access list");
    // SWMR needs the 1.10 file format (checksummed metadata, SWMR-safe chunk indexes).
    check(H5Pset_libver_bounds(s.fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "cannot set format bounds");
    // One writer is guaranteed by design; OS locks would only make a live reader and
    // the writer's reopen (see reopen_and_create) fail each other.
    check(H5Pset_file_locking(s.fapl.get(), false, true), "cannot disable file locking");
    // A handle left open by mistake must not keep the file open across a reopen.
    check(H5Pset_fclose_degree(s.fapl.get(), H5F_CLOSE_STRONG), "cannot set close degree");

    s.file = Hid(H5Fcreate(s.path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, s.fapl.get()), H5Fclose,
                 "cannot create run file '" + s.path + "'");
    write_string_attribute(s.file.get(), "format", std::string(kRunH5Format));
    write_int_attribute(s.file.get(), "format_version", kRunH5FormatVersion);
    write_string_attribute(s.file.get(), "run_id", info.run_id);
    write_string_attribute(s.file.get(), "kind", info.kind);
    write_int_attribute(s.file.get(), "ranks", info.ranks);
    for (const char* g : {"/metrics", "/system", "/reduced", "/spans"}) s.create_group(g);
    s.events = s.add_table(s.event_kind, "/events");
    s.create_dataset(*s.events);
    s.uncreated.clear();
    check(H5Fstart_swmr_write(s.file.get()), "cannot enter SWMR write mode on '" + s.path + "'");
    s.lock->release();
  } catch (...) {
    s.release();
    throw;
  }
}

RunH5Writer::~RunH5Writer() {
  if (!impl_) return;
  try {
    close();
  } catch (...) {  // a destructor must not throw; close() is there for callers who want the error
  }
}

RunH5Writer::RunH5Writer(RunH5Writer&&) noexcept = default;
RunH5Writer& RunH5Writer::operator=(RunH5Writer&& other) noexcept {
  if (this != &other) {
    if (impl_) {
      try {
        close();
      } catch (...) {  // as in the destructor
      }
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

bool RunH5Writer::append_series(std::string_view group, int rank, std::string_view name,
                                std::span<const std::int64_t> steps, std::span<const double> times,
                                std::span<const double> values) {
  if (group != "metrics" && group != "system")
    throw std::invalid_argument("run.h5 series group must be \"metrics\" or \"system\", not \"" + std::string(group) +
                                "\"");
  Impl& s = *impl_;
  if (!s.usable()) return false;
  if (rank < 0 || steps.size() != times.size() || steps.size() != values.size()) {
    ++s.rejected;
    return false;
  }
  s.key.assign("/").append(group).append("/rank-");
  append_number(s.key, rank);
  std::size_t parent_len = s.key.size();
  s.key.append("/").append(name);
  Table* t = s.table_for(s.series_kind, parent_len);
  if (!t) {
    ++s.rejected;
    return false;
  }
  if (steps.empty()) return true;
  SeriesRow* out = t->grow<SeriesRow>(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) out[i] = SeriesRow{steps[i], times[i], values[i]};
  s.mark_dirty(t, steps.size());
  return true;
}

bool RunH5Writer::append_reduced(std::string_view name, std::int64_t step, double time, double mean, double min,
                                 double max, int count) {
  Impl& s = *impl_;
  if (!s.usable()) return false;
  Table* t = s.last_reduced;
  if (!t || name != s.last_reduced_name) {
    s.key.assign("/reduced/").append(name);
    t = s.table_for(s.reduced_kind, std::string_view("/reduced").size());
    if (!t) {
      ++s.rejected;
      return false;
    }
    s.last_reduced = t;
    s.last_reduced_name.assign(name);
  }
  *t->grow<ReducedRow>(1) = ReducedRow{step, time, mean, min, max, count};
  s.mark_dirty(t, 1);
  return true;
}

void RunH5Writer::append_spans(int rank, std::span<const SpanRecord> spans) {
  Impl& s = *impl_;
  if (!s.usable()) return;
  if (rank < 0) {
    ++s.rejected;
    return;
  }
  if (spans.empty()) return;
  s.key.assign("/spans/rank-");
  append_number(s.key, rank);
  Table* t = s.find(s.key);
  if (!t) t = s.add_table(s.span_kind, s.key);
  SpanRow* out = t->grow<SpanRow>(spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    out[i].start = spans[i].start;
    out[i].end = spans[i].end;
    out[i].step = spans[i].step;
    put_fixed(out[i].kind, kSpanKindBytes, spans[i].kind);
    put_fixed(out[i].name, kSpanNameBytes, spans[i].name);
  }
  s.mark_dirty(t, spans.size());
}

void RunH5Writer::append_event(const EventRecord& e) {
  Impl& s = *impl_;
  if (!s.usable()) return;
  EventRow* row = s.events->grow<EventRow>(1);
  row->time = e.time;
  row->rank = e.rank;
  row->step = e.step;
  put_fixed(row->kind, kEventKindBytes, e.kind);
  put_fixed(row->text, kEventTextBytes, e.text);
  s.mark_dirty(s.events, 1);
}

void RunH5Writer::set_attribute(std::string_view key, std::string_view value) {
  if (!valid_segment(key)) throw std::invalid_argument("invalid run.h5 attribute name \"" + std::string(key) + "\"");
  if (reserved_attribute(key))
    throw std::invalid_argument("run.h5 attribute \"" + std::string(key) + "\" is set by the writer itself");
  Impl& s = *impl_;
  if (!s.usable()) return;
  s.pending_attributes[std::string(key)] = std::string(value);
}

void RunH5Writer::flush() { impl_->flush(kFlushLockWait, false); }

std::size_t RunH5Writer::pending_points() const { return impl_->pending_rows; }

std::uint64_t RunH5Writer::rejected_names() const { return impl_->rejected; }

void RunH5Writer::close() {
  Impl& s = *impl_;
  if (s.closed) return;
  if (!s.failure.empty()) {
    s.closed = true;
    return;  // flush() already reported the error and released the file
  }
  try {
    s.flush(kCloseLockWait, true);
  } catch (...) {
    s.closed = true;
    throw;
  }
  s.closed = true;
  QuietHdf5 quiet;
  for (auto& t : s.tables) t->dset.reset();
  if (s.file.reset() < 0) throw RunFileError("cannot close run file '" + s.path + "' (" + hdf5_error_text() + ")");
}

}  // namespace orrery::runfiles
