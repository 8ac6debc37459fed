// Loading a run's run.h5 into a SeriesStore: how the CLI's plot export and the
// workbench's run data service fill the store from the file.
//
// The store's series of a run are always kept a *prefix* of the file's series
// (the agent appends, never rewrites), so loading is incremental: each series
// receives only the file's points beyond the ones it already holds. Loading
// twice adds nothing; loading a live run again appends what was flushed since.
// A series that holds points the file does not (e.g. from the live feed ahead
// of the last flush) is left as it is and reported, so a caller that mixes the
// feed in can decide what to do.
#pragma once

#include "runfiles/run_h5_reader.hpp"
#include "series/series_store.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace orrery::series {

struct LoadReport {
  std::size_t series = 0;          // series of the file looked at
  std::size_t points_added = 0;    // points appended to the store
  std::vector<SeriesKey> ahead;    // series where the store holds more points than the file
  std::vector<SeriesKey> differ;   // series whose points disagree with the file's (not a prefix)
};

// Which file series to load; empty = every "metrics" and "system" series.
using SeriesFilter = std::function<bool(const runfiles::SeriesKey&)>;

// Opens run_h5 (RunH5Reader: SWMR, works on a live file) and brings the store up to it.
// Throws runfiles::RunFileError when the file cannot be read. Calls into HDF5: one thread at a time.
LoadReport load_run_h5(SeriesStore& store, const std::string& run_id, const std::filesystem::path& run_h5,
                       const SeriesFilter& filter = {});
// The same with a reader the caller keeps open (a live run polled repeatedly).
LoadReport load_run_h5(SeriesStore& store, const std::string& run_id, const runfiles::RunH5Reader& reader,
                       const SeriesFilter& filter = {});

// The store's key for a file series of a run, and back.
SeriesKey store_key(const std::string& run_id, const runfiles::SeriesKey& file_key);
runfiles::SeriesKey file_key(const SeriesKey& store_key);

}  // namespace orrery::series
