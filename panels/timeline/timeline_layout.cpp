#include "timeline/timeline_layout.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::panels {

void TimelineLayout::arrange(const timeline::Timeline* timeline, float widget_width, float widget_height,
                             float scroll) {
  width = widget_width;
  height = widget_height;
  stats_shown = width >= kLabelWidth + 300 + kStatsWidth;
  lanes_left = kLabelWidth;
  lanes_right = std::max(lanes_left + 1, width - (stats_shown ? kStatsWidth : 0.0f));
  lanes_top = kRulerHeight;
  lanes_bottom = std::max(lanes_top + 1, height);
  lane_top.clear();
  lane_rows.clear();
  int rows = 0;
  if (timeline) {
    for (const auto& lane : timeline->lanes) {
      lane_rows.push_back(std::max(1, lane->rows()));
      rows += lane_rows.back();
    }
  }
  const float gaps = kLaneGap * static_cast<float>(lane_rows.size());
  const float fit = rows > 0 ? std::floor((lanes_bottom - lanes_top - gaps) / static_cast<float>(rows)) : kMaxRowHeight;
  row_height = std::clamp(fit, kMinRowHeight, kMaxRowHeight);
  float y = kLaneGap;
  for (int r : lane_rows) {
    lane_top.push_back(y);
    y += static_cast<float>(r) * row_height + kLaneGap;
  }
  content_height = y;
  scroll_y = std::clamp(scroll, 0.0f, std::max(0.0f, content_height - (lanes_bottom - lanes_top)));
}

TimelineLayout::LaneRow TimelineLayout::lane_at(float y) const {
  const float inside = y - lanes_top + scroll_y;
  auto it = std::upper_bound(lane_top.begin(), lane_top.end(), inside);
  if (it == lane_top.begin()) return {};
  const int lane = static_cast<int>(it - lane_top.begin()) - 1;
  const float offset = inside - lane_top[static_cast<std::size_t>(lane)];
  if (offset >= lane_height(lane)) return {};
  return {lane, static_cast<int>(offset / row_height)};
}

}  // namespace orrery::panels
