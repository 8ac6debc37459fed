// run.h5 reader: how the GUI and the CLI read a run's metrics file (layout in FORMAT_H5.md).
//
// Opens read-only in SWMR-read mode, so it works on a file the agent is still
// writing (every call sees what the writer had flushed by then, new series
// included) and on the file of a writer that crashed (everything up to its last
// flush). Damaged files give RunFileError, never a crash.
#pragma once

#include "runfiles/run_h5_writer.hpp"

#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace orrery::runfiles {

// A per-rank series: group is "metrics" or "system".
struct SeriesKey {
  std::string group;
  int rank = 0;
  std::string name;
  auto operator<=>(const SeriesKey&) const = default;
};

struct SeriesData {
  std::vector<std::int64_t> steps;
  std::vector<double> times;
  std::vector<double> values;
};

struct ReducedData {
  std::vector<std::int64_t> steps;
  std::vector<double> times, mean, min, max;
  std::vector<std::int32_t> count;
};

// Single-threaded like the writer (serial HDF5). Not for a file that a RunH5Writer in
// the same process has open (see RunH5Writer).
class RunH5Reader {
 public:
  // Throws RunFileError with a clear message: missing file, not an HDF5 file, truncated
  // or damaged, not a run file, a format_version this build does not read, or a file
  // left open by a writer outside SWMR mode (see FORMAT_H5.md, "Readers").
  explicit RunH5Reader(const std::filesystem::path& path);
  ~RunH5Reader();
  RunH5Reader(const RunH5Reader&) = delete;
  RunH5Reader& operator=(const RunH5Reader&) = delete;
  RunH5Reader(RunH5Reader&&) noexcept;
  RunH5Reader& operator=(RunH5Reader&&) noexcept;

  const std::filesystem::path& path() const;
  // run_id, kind and ranks as written when the run started.
  RunH5Info info() const;
  // Every series in the groups "metrics" and "system", sorted.
  std::vector<SeriesKey> list_series() const;
  SeriesData read_series(const SeriesKey& key) const;
  // Names of the rank-reduced series, sorted.
  std::vector<std::string> reduced_names() const;
  ReducedData read_reduced(const std::string& name) const;
  // Ranks with a span table, ascending.
  std::vector<int> span_ranks() const;
  std::vector<SpanRecord> read_spans(int rank) const;
  std::vector<EventRecord> read_events() const;
  // Root attributes as text (numbers in decimal), including the ones the writer owns
  // (format, format_version, run_id, kind, ranks) and later ones such as status.
  std::map<std::string, std::string> attributes() const;

  // Every call above throws RunFileError when the file cannot be read (damaged, or a
  // missing series/rank/name). While a writer is live, a call that falls into the
  // moment the writer reopens the file to create new series may fail too: retry.

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orrery::runfiles
