// RunH5Writer: buffers, creation of series in and out of SWMR mode, and flush.
// HDF5 plumbing is in h5_util, the row types and tables in h5_tables, the writer lock
// in h5_lock.cpp, the series-name rule in h5_series_name.cpp.
#include "runfiles/run_h5_writer.hpp"

#include "runfiles/h5_tables.hpp"
#include "runfiles/h5_util.hpp"

#include <hdf5.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace orrery::runfiles {

using namespace h5;

namespace {

// How long a flush waits for readers to let go of the writer lock before it leaves
// creating new objects to the next flush, and how long close() waits before creating
// them regardless.
constexpr auto kFlushLockWait = std::chrono::milliseconds(200);
constexpr auto kCloseLockWait = std::chrono::milliseconds(5000);

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

void append_number(std::string& out, int value) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

}  // namespace

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
      t.pending.release();
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
    s.series_kind = make_kind<SeriesRow>(kSeriesMembers, 128, 16384);
    s.reduced_kind = make_kind<ReducedRow>(kReducedMembers, 128, 8192);
    s.span_kind = make_kind<SpanRow>(kSpanMembers, 64, 4096);
    s.event_kind = make_kind<EventRow>(kEventMembers, 64, 1024);

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
  // One name segment: the series-name rule without a slash.
  if (key.find('/') != std::string_view::npos || !valid_series_name(key)) throw std::invalid_argument("invalid run.h5 attribute name \"" + std::string(key) + "\"");
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
