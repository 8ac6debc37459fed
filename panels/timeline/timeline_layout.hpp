// Where things are on the timeline widget (logical pixels): the rank labels on the
// left, the time ruler on top, the lanes, the imbalance views on the right; and the
// mapping between time and x. Shared by input handling, drawing and the tests.
#pragma once

#include "timeline/timeline.hpp"

#include <vector>

namespace orrery::panels {

struct TimelineLayout {
  static constexpr float kLabelWidth = 140;
  static constexpr float kRulerHeight = 22;
  static constexpr float kLaneGap = 3;          // background between lanes
  static constexpr float kStatsWidth = 300;     // the imbalance views, when the widget is wide enough
  static constexpr float kMinRowHeight = 4, kMaxRowHeight = 18;

  float width = 0, height = 0;
  float lanes_left = 0, lanes_right = 0, lanes_top = 0, lanes_bottom = 0;
  bool stats_shown = false;
  float row_height = kMaxRowHeight;
  float scroll_y = 0;                // lanes scrolled up by this much
  std::vector<float> lane_top;       // per lane, before scrolling
  std::vector<int> lane_rows;
  float content_height = 0;          // all lanes stacked
  double begin = 0, end = 1;         // the window of time across [lanes_left, lanes_right]

  // Lays out `timeline` in a widget of this size, keeping scroll_y within range.
  void arrange(const timeline::Timeline* timeline, float widget_width, float widget_height, float scroll);

  float lanes_width() const { return lanes_right - lanes_left; }
  double seconds_per_pixel() const { return (end - begin) / static_cast<double>(lanes_width()); }
  float x_at(double t) const { return lanes_left + static_cast<float>((t - begin) / seconds_per_pixel()); }
  double time_at(float x) const { return begin + static_cast<double>(x - lanes_left) * seconds_per_pixel(); }
  float lane_y(int lane) const { return lanes_top + lane_top[static_cast<std::size_t>(lane)] - scroll_y; }
  float lane_height(int lane) const { return static_cast<float>(lane_rows[static_cast<std::size_t>(lane)]) * row_height; }
  bool in_lanes(float x, float y) const { return x >= lanes_left && x < lanes_right && y >= lanes_top && y < lanes_bottom; }

  struct LaneRow {
    int lane = -1;
    int row = -1;
  };
  // The lane and row under y; lane -1 between lanes or outside them.
  LaneRow lane_at(float y) const;
};

}  // namespace orrery::panels
