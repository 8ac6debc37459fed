// A summary of a value column in fixed blocks of 64 points (first and last finite
// point, lowest and highest), so the decimator reads 1/64 of a long column when a
// pixel column spans many blocks: the interior blocks from the summary, only the
// partial blocks at the column's edges point by point. Extended as points arrive;
// about half a byte per point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace orrery::series {

inline constexpr std::size_t kNoPoint = std::numeric_limits<std::size_t>::max();

// Indices of the extreme drawable (finite) points of a slice; kNoPoint when none.
struct SliceExtremes {
  std::size_t first = kNoPoint, last = kNoPoint, lowest = kNoPoint, highest = kNoPoint;
};

// Point by point: the reference the summary must agree with (ties: the earliest index).
SliceExtremes scan_extremes(std::span<const double> y, std::size_t begin, std::size_t end);

class MinMaxBlocks {
 public:
  static constexpr std::size_t kBlock = 64;

  // Brings the summary up to y: summarises the full blocks not yet summarised. A y
  // shorter than what was summarised (a replaced series) starts over.
  void update(std::span<const double> y);
  std::size_t summarised() const { return blocks_.size() * kBlock; }
  // The same answer as scan_extremes(y, begin, end), for the y given to update().
  SliceExtremes extremes(std::span<const double> y, std::size_t begin, std::size_t end) const;

 private:
  // The lowest and highest values are kept beside their offsets: merging a block then
  // reads only the summary, not two scattered points of the column (cache misses).
  struct Block {
    std::uint32_t first, last, lowest, highest;  // offsets in the block; kEmpty: no finite point
    double low, high;
  };
  static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
  std::vector<Block> blocks_;
};

}  // namespace orrery::series
