// CSV export of a run.h5: one file per series, for spreadsheet and pandas users who
// do not want HDF5.
#pragma once

#include "runfiles/run_h5_reader.hpp"

#include <filesystem>
#include <vector>

namespace orrery::runfiles {

// Writes one CSV per series under dir:
//   metrics/rank-N/<name>.csv, system/rank-N/<name>.csv   header step,time,value
//   reduced/<name>.csv                                     header step,time,mean,min,max,count
// '/' in a name becomes a subfolder. Names read from the file are checked against
// valid_series_name() before anything is written, and files are never written through
// a symbolic link, so a hand-edited run.h5 cannot make the export write outside dir.
// Numbers use the shortest text that reads back to the same double; time is seconds
// since the Unix epoch. Existing files are overwritten. Returns the files written, in
// the order above. Throws RunFileError (unreadable run file, invalid name, I/O error).
std::vector<std::filesystem::path> export_csv(const RunH5Reader& reader, const std::filesystem::path& dir);

}  // namespace orrery::runfiles
