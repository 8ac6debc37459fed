#include "timeline/level_of_detail.hpp"

#include <algorithm>

namespace orrery::timeline {

namespace {

// One row: [first, last) of the lane's arrays, starts and ends both non-decreasing.
void row_blocks(const Lane& lane, std::uint16_t row, const TimeWindow& window, double min_width,
                std::vector<DrawBlock>& out) {
  const auto first = lane.start.begin() + static_cast<std::ptrdiff_t>(lane.row_first(row));
  const auto last = lane.start.begin() + static_cast<std::ptrdiff_t>(lane.row_end(row));
  const auto ends = lane.end.begin();
  const auto index = [&](auto it) { return static_cast<std::size_t>(it - lane.start.begin()); };
  // Visible: ends at or after the window's begin, starts at or before its end.
  std::size_t i = static_cast<std::size_t>(
      std::lower_bound(ends + (first - lane.start.begin()), ends + (last - lane.start.begin()), window.begin) - ends);
  const std::size_t limit = index(std::upper_bound(first, last, window.end));
  while (i < limit) {
    if (lane.end[i] - lane.start[i] >= min_width) {
      out.push_back({lane.start[i], lane.end[i], static_cast<std::uint32_t>(i), 1, lane.kind[i], row});
      ++i;
      continue;
    }
    // A run of small spans: absorb everything that ends within a pixel of the block's
    // end, then the next span if it is small and starts within a pixel. Each round
    // moves the block's end by a pixel or more, so a block costs its width in binary searches.
    const std::size_t block_first = i;
    double block_end = lane.end[i];
    while (true) {
      const std::size_t k = static_cast<std::size_t>(
          std::lower_bound(ends + static_cast<std::ptrdiff_t>(i + 1), ends + static_cast<std::ptrdiff_t>(limit),
                           block_end + min_width) - ends);
      if (k > i + 1) {
        i = k - 1;
        block_end = lane.end[i];
      }
      if (k >= limit) break;
      if (lane.end[k] - lane.start[k] < min_width && lane.start[k] - block_end < min_width) {
        i = k;
        block_end = lane.end[k];
        continue;
      }
      break;
    }
    out.push_back({lane.start[block_first], block_end, static_cast<std::uint32_t>(block_first),
                   static_cast<std::uint32_t>(i - block_first + 1), lane.kind[block_first], row});
    ++i;
  }
}

}  // namespace

std::vector<DrawBlock> lane_blocks(const Lane& lane, const TimeWindow& window, double min_pixels) {
  std::vector<DrawBlock> out;
  const double min_width = window.seconds_per_pixel() * min_pixels;
  for (int r = 0; r < lane.rows(); ++r) row_blocks(lane, static_cast<std::uint16_t>(r), window, min_width, out);
  return out;
}

DrawList level_of_detail(const Timeline& timeline, const TimeWindow& window, double min_pixels) {
  DrawList list;
  list.window = window;
  list.lanes.reserve(timeline.lanes.size());
  for (const auto& lane : timeline.lanes) {
    list.lanes.push_back(lane_blocks(*lane, window, min_pixels));
    for (const DrawBlock& b : list.lanes.back()) list.drawn_spans += b.count;
  }
  // Critical path: per visible step, the straggler's own extent of that step.
  const double min_width = window.seconds_per_pixel() * min_pixels;
  for (const StepSummary& s : timeline.steps) {
    if (s.end < window.begin || s.start > window.end || s.straggler_lane < 0) continue;
    const StepExtent* own = timeline.lanes[static_cast<std::size_t>(s.straggler_lane)]->find_step(s.step);
    if (!own) continue;
    if (!list.critical.empty()) {
      CriticalMark& last = list.critical.back();
      if (last.lane == s.straggler_lane && own->start - last.end < min_width &&
          (own->end - own->start < min_width || last.end - last.start < min_width)) {
        last.end = std::max(last.end, own->end);
        ++last.steps;
        continue;
      }
    }
    list.critical.push_back({s.straggler_lane, own->start, own->end, s.step, 1});
  }
  return list;
}

}  // namespace orrery::timeline
