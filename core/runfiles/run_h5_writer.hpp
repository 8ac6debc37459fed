// run.h5 writer: the agent's side of a run's metrics file (layout in FORMAT_H5.md).
//
// The agent is the file's only writer. It appends from many ranks at millions of
// points per second, so appends only copy into per-series buffers; flush() turns
// each buffer into one hyperslab write and then makes the file consistent on disk
// for SWMR readers (the GUI, the CLI, h5py with swmr=True). A crash loses only
// what was appended since the last flush.
//
// This header also holds what the writer and the reader share: the record types,
// RunFileError and the series-name rule.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace orrery::runfiles {

// Root attribute "format" and "format_version" of every run.h5.
inline constexpr std::string_view kRunH5Format = "orrery-run-h5";
inline constexpr int kRunH5FormatVersion = 1;

// Fixed string widths in the compound records (bytes, UTF-8, NUL-padded; longer
// text is cut at a character boundary).
inline constexpr std::size_t kSpanKindBytes = 16;
inline constexpr std::size_t kSpanNameBytes = 48;
inline constexpr std::size_t kEventKindBytes = 32;
inline constexpr std::size_t kEventTextBytes = 256;

// One interval of work on a rank (rank timeline). start/end: seconds since the Unix epoch.
struct SpanRecord {
  std::string kind;
  std::string name;
  std::int64_t step = 0;
  double start = 0;
  double end = 0;
};

// Something that happened once (rank started, checkpoint saved, rank failed...).
// rank is -1 for the agent itself.
struct EventRecord {
  double time = 0;
  int rank = -1;
  std::int64_t step = 0;
  std::string kind;
  std::string text;
};

struct RunH5Info {
  std::string run_id;
  std::string kind;
  int ranks = 0;
};

class RunFileError : public std::runtime_error {
  using runtime_error::runtime_error;
};

// Names: segments separated by '/', each [A-Za-z0-9_.-]{1,64}, not "." or "..",
// total <= 200 chars. The rule keeps a name usable as an HDF5 path below its rank
// group and as a relative file path in CSV export, without escaping either.
bool valid_series_name(std::string_view name);

// The advisory lock that keeps cooperating readers out while the writer restructures
// the file (FORMAT_H5.md, "Readers and the writer lock"): an open-file-description
// lock (fcntl F_OFD_SETLK) on byte 0 of run.h5. Readers hold it shared for each read,
// the writer exclusive while it is outside SWMR mode. HDF5 1.10 gives no guarantee to
// a reader that reads group structure the writer is changing outside SWMR mode (it can
// even crash), hence the lock. Where the file system has no locks, acquire() succeeds
// without one.
class RunH5Lock {
 public:
  enum class Mode { Shared, Exclusive };
  // Opens its own descriptor on path (creating the file for Exclusive); throws RunFileError.
  RunH5Lock(const std::filesystem::path& path, Mode mode);
  ~RunH5Lock();
  RunH5Lock(const RunH5Lock&) = delete;
  RunH5Lock& operator=(const RunH5Lock&) = delete;
  RunH5Lock(RunH5Lock&& other) noexcept;
  RunH5Lock& operator=(RunH5Lock&& other) noexcept;
  // Polls until the lock is held or `wait` has passed; true when held (or unsupported).
  bool acquire(std::chrono::milliseconds wait);
  void release() noexcept;

 private:
  int fd_ = -1;
  Mode mode_ = Mode::Shared;
  bool held_ = false;
};

// Single-threaded: every call on one thread (the serial HDF5 library is not thread-safe,
// so the process should not use HDF5 from another thread while a writer lives either).
// Readers of the same file must live in other processes: HDF5 shares one open file
// per process, and a reader sharing the writer's file would see the writer's cache,
// not the disk.
class RunH5Writer {
 public:
  // Creates (truncating) the file with root attributes format, format_version,
  // run_id, kind, ranks, and the groups every run.h5 has; then enters SWMR write
  // mode so readers can open it at once. Throws RunFileError.
  RunH5Writer(const std::filesystem::path& path, const RunH5Info& info);
  ~RunH5Writer();  // flush + close; never throws (errors are lost: call close() to see them)
  RunH5Writer(const RunH5Writer&) = delete;
  RunH5Writer& operator=(const RunH5Writer&) = delete;
  RunH5Writer(RunH5Writer&&) noexcept;
  RunH5Writer& operator=(RunH5Writer&&) noexcept;

  // Buffered in memory; nothing reaches the file until flush(). group is "metrics"
  // (from ranks) or "system" (agent samples); any other group is a programming error
  // (std::invalid_argument). Returns false, and counts it in rejected_names(), when
  // the name is invalid, when it conflicts with an existing path (a series "a" and a
  // series "a/b" cannot both exist: "a" would have to be a dataset and a group), when
  // rank < 0, or when the three spans differ in length.
  bool append_series(std::string_view group, int rank, std::string_view name, std::span<const std::int64_t> steps,
                     std::span<const double> times, std::span<const double> values);
  // One row of the rank-reduced series /reduced/<name>; same name rules as above.
  bool append_reduced(std::string_view name, std::int64_t step, double time, double mean, double min, double max,
                      int count);
  // rank < 0 is rejected (counted in rejected_names()).
  void append_spans(int rank, std::span<const SpanRecord> spans);
  void append_event(const EventRecord& e);
  // A root attribute (UTF-8 string), written at the next flush. key follows the rule of
  // one name segment; the keys the writer owns (format, format_version, run_id, kind,
  // ranks) are refused. Both refusals are std::invalid_argument.
  void set_attribute(std::string_view key, std::string_view value);

  // Writes everything pending and flushes the file (H5Fflush), so a reader or a crash
  // sees all of it. Costs three comparisons when nothing is pending. New series, spans
  // of a new rank and attributes need new HDF5 objects, which HDF5 1.10 cannot create in
  // SWMR mode: then flush() takes the writer lock (RunH5Lock), closes the file, reopens
  // it, creates them and re-enters SWMR mode. If readers hold the lock for longer than
  // ~200 ms, creating is left to the next flush (those rows stay pending) so the data
  // of existing series still reaches the file. Throws RunFileError; after an error the
  // writer is unusable (appends return false, flush throws).
  void flush();
  // Rows waiting for flush(): series points + reduced rows + spans + events.
  std::size_t pending_points() const;
  std::uint64_t rejected_names() const;
  // flush() + close. Idempotent; throws RunFileError when the last flush fails (the file is
  // closed anyway). Waits up to ~5 s for the writer lock, then creates what is pending
  // without it: the run's last data and attributes matter more than a slow reader.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orrery::runfiles
