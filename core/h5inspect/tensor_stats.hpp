// Statistics, histograms and diffs of tensors, streamed block by block through a
// TensorFile: memory stays at one block (about 1 Mi values per tensor being read),
// whatever the checkpoint's size. Each function reports progress in elements read and
// stops with Cancelled between blocks when its cancel flag is raised.
#pragma once

#include "h5inspect/tensor_file.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace orrery::h5inspect {

// Moments and extremes are over the finite values; NaN and Inf are only counted.
struct TensorStats {
  std::uint64_t count = 0;    // every element
  std::uint64_t finite = 0;
  std::uint64_t zeros = 0;
  std::uint64_t nans = 0;
  std::uint64_t infs = 0;
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std = std::numeric_limits<double>::quiet_NaN();   // population standard deviation
  double norm = 0;                                          // L2 norm of the finite values
  double zero_fraction() const { return count ? static_cast<double>(zeros) / static_cast<double>(count) : 0.0; }
};

// Accumulates values block by block; blocks merge with Chan's formula, so the variance
// stays accurate over hundreds of millions of values.
class StatsAccumulator {
 public:
  void add(const double* values, std::size_t n);
  TensorStats result() const;

 private:
  TensorStats s_;
  double m2_ = 0, sumsq_ = 0;
};

// Called with the number of elements read since the previous call.
using Progress = std::function<void(std::uint64_t)>;

// Throws RunFileError (unreadable) or Cancelled.
TensorStats tensor_stats(const TensorFile& file, const TensorInfo& t, const Progress& progress = {},
                         const std::atomic<bool>* cancel = nullptr);

struct Histogram {
  double lo = 0, hi = 0;                // bin i covers [lo + i*w, lo + (i+1)*w), the last one includes hi
  std::vector<std::uint64_t> counts;    // of the finite values in [lo, hi]
};
// Bins over [lo, hi] (use the tensor's finite min and max); lo == hi gives one bin.
Histogram tensor_histogram(const TensorFile& file, const TensorInfo& t, double lo, double hi, int bins,
                           const Progress& progress = {}, const std::atomic<bool>* cancel = nullptr);

struct TensorDiff {
  enum class Kind { Compared, ShapeDiffers, OnlyInA, OnlyInB, NotNumeric };
  std::string path;
  Kind kind = Kind::Compared;
  double norm_a = 0, norm_b = 0;
  double diff_norm = 0;                 // ||b - a||
  double max_abs_diff = 0;
  // ||b - a|| / ||a||: 0 when both are zero, +inf when only a is zero; NaN when not compared.
  double relative_change = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t elements = 0;
};
// One tensor of two files, of the same shape (else ShapeDiffers, without reading).
TensorDiff tensor_diff(const TensorFile& a, const TensorInfo& ta, const TensorFile& b, const TensorInfo& tb,
                       const Progress& progress = {}, const std::atomic<bool>* cancel = nullptr);
// Every tensor of either file, largest relative change first (uncompared ones last, by path).
std::vector<TensorDiff> diff_files(const TensorFile& a, const TensorFile& b, const Progress& progress = {},
                                   const std::atomic<bool>* cancel = nullptr);
// Elements diff_files reads (for a progress bar's total).
std::uint64_t diff_elements(const TensorFile& a, const TensorFile& b);

}  // namespace orrery::h5inspect
