// One tensor written out of its HDF5 file for other tools, streamed block by block:
// NumPy's .npy (format 1.0, its own dtype kept, float16 widened to float32) and CSV
// (a 1-D tensor one value a line; otherwise one line per index of the leading
// dimensions, the last dimension across; floats in their shortest exact form).
// The output is written to a temporary name and renamed when complete.
#pragma once

#include "h5inspect/tensor_stats.hpp"

#include <filesystem>

namespace orrery::h5inspect {

// Throw RunFileError (unreadable tensor, unwritable output) or Cancelled; no partial
// output is left behind either way.
void export_npy(const TensorFile& file, const TensorInfo& t, const std::filesystem::path& out,
                const Progress& progress = {}, const std::atomic<bool>* cancel = nullptr);
void export_csv(const TensorFile& file, const TensorInfo& t, const std::filesystem::path& out,
                const Progress& progress = {}, const std::atomic<bool>* cancel = nullptr);

// The .npy header for t (magic, version, length, dict padded to a multiple of 64).
std::string npy_header(const TensorInfo& t);

}  // namespace orrery::h5inspect
