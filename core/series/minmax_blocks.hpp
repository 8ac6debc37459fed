// A summary of a value column at two grains, so the decimator reads a small part of a
// long column when a pixel column spans many points: blocks of 64 points (first and last
// finite point, lowest and highest with their values) for the interior of a pixel
// column, and sub-blocks of 8 points (lowest and highest value) for its edges, where
// a pixel column starts or ends inside a block. Only the points of the sub-blocks cut
// by the column's two ends, and of the one sub-block that holds an extreme, are read
// one by one. Extended as points arrive; about 2.5 bytes per point.
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

namespace detail {
struct FoundExtremes;  // SliceExtremes with their values (minmax_blocks.cpp)
}

class MinMaxBlocks {
 public:
  static constexpr std::size_t kBlock = 64;
  static constexpr std::size_t kSub = 8;

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
  // Values only (an empty sub-block: low = +inf, high = -inf); the index of an extreme is
  // found by reading the 8 points of the one sub-block that wins.
  struct Sub {
    double low, high;
  };
  static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();

  // The extremes of [begin, end), which lies inside the summarised blocks: its whole
  // sub-blocks from their summaries, the points at its two ends one by one.
  detail::FoundExtremes edge_extremes(std::span<const double> y, std::size_t begin, std::size_t end) const;

  std::vector<Block> blocks_;
  std::vector<Sub> subs_;  // kBlock / kSub per block
};

}  // namespace orrery::series
