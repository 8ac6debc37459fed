#include "series/minmax_blocks.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::series {

namespace {

// Folds the extremes of a later slice into those of an earlier one (ties keep the earlier).
void merge(SliceExtremes& into, const SliceExtremes& later, std::span<const double> y) {
  if (later.first == kNoPoint) return;
  if (into.first == kNoPoint) {
    into = later;
    return;
  }
  into.last = later.last;
  if (y[later.lowest] < y[into.lowest]) into.lowest = later.lowest;
  if (y[later.highest] > y[into.highest]) into.highest = later.highest;
}

}  // namespace

SliceExtremes scan_extremes(std::span<const double> y, std::size_t begin, std::size_t end) {
  SliceExtremes e;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  for (std::size_t i = begin; i < end; ++i) {
    const double v = y[i];
    if (!std::isfinite(v)) continue;
    if (e.first == kNoPoint) e.first = i;
    e.last = i;
    if (v < lo) lo = v, e.lowest = i;
    if (v > hi) hi = v, e.highest = i;
  }
  return e;
}

void MinMaxBlocks::update(std::span<const double> y) {
  if (y.size() < summarised()) blocks_.clear();
  for (std::size_t b = blocks_.size(); (b + 1) * kBlock <= y.size(); ++b) {
    const std::size_t base = b * kBlock;
    const SliceExtremes e = scan_extremes(y, base, base + kBlock);
    const auto offset = [&](std::size_t i) { return i == kNoPoint ? kEmpty : static_cast<std::uint32_t>(i - base); };
    const bool empty = e.first == kNoPoint;
    blocks_.push_back({offset(e.first), offset(e.last), offset(e.lowest), offset(e.highest), empty ? 0 : y[e.lowest],
                       empty ? 0 : y[e.highest]});
  }
}

SliceExtremes MinMaxBlocks::extremes(std::span<const double> y, std::size_t begin, std::size_t end) const {
  end = std::min(end, y.size());
  if (begin >= end) return {};
  const std::size_t first_full = (begin + kBlock - 1) / kBlock;
  const std::size_t end_full = std::min(end / kBlock, blocks_.size());
  if (first_full >= end_full) return scan_extremes(y, begin, end);  // no whole summarised block inside

  SliceExtremes e = scan_extremes(y, begin, first_full * kBlock);
  // The whole blocks, from their summaries alone (ties keep the earlier, as merge does).
  std::size_t first = kNoPoint, last = kNoPoint, lowest = kNoPoint, highest = kNoPoint;
  double low = 0, high = 0;
  for (std::size_t b = first_full; b < end_full; ++b) {
    const Block& block = blocks_[b];
    if (block.first == kEmpty) continue;
    const std::size_t base = b * kBlock;
    if (first == kNoPoint) {
      first = base + block.first;
      lowest = base + block.lowest, low = block.low;
      highest = base + block.highest, high = block.high;
    } else {
      if (block.low < low) lowest = base + block.lowest, low = block.low;
      if (block.high > high) highest = base + block.highest, high = block.high;
    }
    last = base + block.last;
  }
  if (first != kNoPoint) merge(e, {first, last, lowest, highest}, y);
  merge(e, scan_extremes(y, end_full * kBlock, end), y);
  return e;
}

}  // namespace orrery::series
