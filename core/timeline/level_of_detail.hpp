// Level of detail for drawing a timeline: what to draw in a window of time that is
// `pixels` wide. A span at least `min_pixels` wide is drawn as itself; runs of spans
// narrower than that are merged into one block with a count (as Tracy does), so a
// lane costs O(pixels · log spans) however many spans it holds.
//
// Blocks are in seconds, not pixels: the UI keeps drawing the last list it got, placed
// at the current view, while the worker computes the next one for the new view.
#pragma once

#include "timeline/timeline.hpp"

#include <cstdint>
#include <vector>

namespace orrery::timeline {

struct TimeWindow {
  double begin = 0;
  double end = 1;
  int pixels = 1;
  double seconds_per_pixel() const { return (end - begin) / pixels; }
};

// One thing to draw in a row: a span (count == 1) or `count` merged spans
// [first, first + count) of the lane, from the first's start to the last's end.
struct DrawBlock {
  double start = 0;
  double end = 0;
  std::uint32_t first = 0;
  std::uint32_t count = 1;
  SpanKind kind = SpanKind::Other;   // the first span's kind
  std::uint16_t row = 0;
};

// A stretch of the critical path: steps whose last span ended on this lane
// (consecutive sub-pixel steps of the same lane merged).
struct CriticalMark {
  int lane = 0;
  double start = 0;
  double end = 0;
  std::int64_t first_step = 0;
  std::uint32_t steps = 1;
};

struct DrawList {
  TimeWindow window;
  std::vector<std::vector<DrawBlock>> lanes;   // parallel to Timeline::lanes
  std::vector<CriticalMark> critical;
  std::size_t drawn_spans = 0;                  // spans covered by the blocks (merged ones included)
};

// The blocks of one lane that meet the window, row by row.
std::vector<DrawBlock> lane_blocks(const Lane& lane, const TimeWindow& window, double min_pixels = 1.0);
// Blocks of every lane and the critical-path marks that meet the window.
DrawList level_of_detail(const Timeline& timeline, const TimeWindow& window, double min_pixels = 1.0);

}  // namespace orrery::timeline
