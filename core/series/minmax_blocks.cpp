#include "series/minmax_blocks.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::series {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

// Extremes with their values beside the indices, so merging two slices compares the
// values it holds instead of reading y at scattered indices (cache misses). An extreme
// found in a sub-block's summary keeps only which sub-block (low_sub, high_sub): its
// point is looked for once, at the end, and only if it is still the extreme then.
struct detail::FoundExtremes {
  SliceExtremes at;
  double low = kInf, high = -kInf;
  std::size_t low_sub = kNoPoint, high_sub = kNoPoint;

  // Folds in the extremes of a later slice (ties keep the earlier).
  void merge(const FoundExtremes& later) {
    if (later.at.first == kNoPoint) return;
    if (at.first == kNoPoint) {
      *this = later;
      return;
    }
    at.last = later.at.last;
    if (later.low < low) low = later.low, at.lowest = later.at.lowest, low_sub = later.low_sub;
    if (later.high > high) high = later.high, at.highest = later.at.highest, high_sub = later.high_sub;
  }
};

using Found = detail::FoundExtremes;

namespace {

Found scan(std::span<const double> y, std::size_t begin, std::size_t end) {
  Found f;
  for (std::size_t i = begin; i < end; ++i) {
    const double v = y[i];
    if (!std::isfinite(v)) continue;
    if (f.at.first == kNoPoint) f.at.first = i;
    f.at.last = i;
    if (v < f.low) f.low = v, f.at.lowest = i;
    if (v > f.high) f.high = v, f.at.highest = i;
  }
  return f;
}

// The first index in [begin, end) whose value is v (it is there: v came from this range).
std::size_t first_equal(std::span<const double> y, std::size_t begin, std::size_t end, double v) {
  for (std::size_t i = begin; i < end; ++i) {
    if (y[i] == v) return i;
  }
  return kNoPoint;
}

std::size_t first_finite(std::span<const double> y, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    if (std::isfinite(y[i])) return i;
  }
  return kNoPoint;
}

std::size_t last_finite(std::span<const double> y, std::size_t begin, std::size_t end) {
  for (std::size_t i = end; i-- > begin;) {
    if (std::isfinite(y[i])) return i;
  }
  return kNoPoint;
}

// Finds the points of extremes still known only by their sub-block.
SliceExtremes resolved(std::span<const double> y, const Found& f) {
  SliceExtremes at = f.at;
  constexpr std::size_t sub = MinMaxBlocks::kSub;
  if (f.low_sub != kNoPoint) at.lowest = first_equal(y, f.low_sub * sub, (f.low_sub + 1) * sub, f.low);
  if (f.high_sub != kNoPoint) at.highest = first_equal(y, f.high_sub * sub, (f.high_sub + 1) * sub, f.high);
  return at;
}

}  // namespace

SliceExtremes scan_extremes(std::span<const double> y, std::size_t begin, std::size_t end) {
  return scan(y, begin, end).at;
}

void MinMaxBlocks::update(std::span<const double> y) {
  if (y.size() < summarised()) {
    blocks_.clear();
    subs_.clear();
  }
  for (std::size_t b = blocks_.size(); (b + 1) * kBlock <= y.size(); ++b) {
    const std::size_t base = b * kBlock;
    // Each point is read once: the block's summary is the merge of its sub-blocks' scans.
    Found f;
    for (std::size_t s = base; s < base + kBlock; s += kSub) {
      const Found part = scan(y, s, s + kSub);
      subs_.push_back({part.low, part.high});
      f.merge(part);
    }
    const auto offset = [&](std::size_t i) { return i == kNoPoint ? kEmpty : static_cast<std::uint32_t>(i - base); };
    const bool empty = f.at.first == kNoPoint;
    blocks_.push_back({offset(f.at.first), offset(f.at.last), offset(f.at.lowest), offset(f.at.highest),
                       empty ? 0 : f.low, empty ? 0 : f.high});
  }
}

Found MinMaxBlocks::edge_extremes(std::span<const double> y, std::size_t begin, std::size_t end) const {
  const std::size_t first_sub = (begin + kSub - 1) / kSub;
  const std::size_t end_sub = end / kSub;
  if (first_sub >= end_sub) return scan(y, begin, end);  // no whole sub-block inside

  Found e = scan(y, begin, first_sub * kSub);
  // The whole sub-blocks, from their summaries (ties keep the earlier).
  Found whole;
  std::size_t first_live = kNoPoint, last_live = kNoPoint;
  for (std::size_t s = first_sub; s < end_sub; ++s) {
    const Sub& sub = subs_[s];
    if (!(sub.low <= sub.high)) continue;  // no finite point
    if (first_live == kNoPoint) first_live = s;
    last_live = s;
    if (sub.low < whole.low) whole.low = sub.low, whole.low_sub = s;
    if (sub.high > whole.high) whole.high = sub.high, whole.high_sub = s;
  }
  if (first_live != kNoPoint) {
    whole.at.first = first_finite(y, first_live * kSub, (first_live + 1) * kSub);
    whole.at.last = last_finite(y, last_live * kSub, (last_live + 1) * kSub);
    e.merge(whole);
  }
  e.merge(scan(y, end_sub * kSub, end));
  return e;
}

SliceExtremes MinMaxBlocks::extremes(std::span<const double> y, std::size_t begin, std::size_t end) const {
  end = std::min(end, y.size());
  if (begin >= end) return {};
  // Past the summarised blocks (the newest points of a live series): point by point.
  const std::size_t covered_end = std::min(end, summarised());
  Found e;
  if (begin < covered_end) {
    const std::size_t first_full = (begin + kBlock - 1) / kBlock;
    const std::size_t end_full = covered_end / kBlock;
    if (first_full >= end_full) {
      e = edge_extremes(y, begin, covered_end);  // no whole block inside
    } else {
      e = edge_extremes(y, begin, first_full * kBlock);
      // The whole blocks, from their summaries alone (ties keep the earlier).
      Found whole;
      for (std::size_t b = first_full; b < end_full; ++b) {
        const Block& block = blocks_[b];
        if (block.first == kEmpty) continue;
        const std::size_t base = b * kBlock;
        if (whole.at.first == kNoPoint) whole.at.first = base + block.first;
        if (block.low < whole.low) whole.at.lowest = base + block.lowest, whole.low = block.low;
        if (block.high > whole.high) whole.at.highest = base + block.highest, whole.high = block.high;
        whole.at.last = base + block.last;
      }
      e.merge(whole);
      e.merge(edge_extremes(y, end_full * kBlock, covered_end));
    }
  }
  e.merge(scan(y, std::max(begin, covered_end), end));
  return resolved(y, e);
}

}  // namespace orrery::series
