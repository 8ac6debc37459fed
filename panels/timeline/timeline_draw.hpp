// Drawing the lanes of the rank timeline into an ImGui draw list: the time ruler, rank
// labels, the level-of-detail blocks (merged blocks darker, with their count when it
// fits), the critical path under the lanes, and the selected step on every rank.
#pragma once

#include "timeline/timeline_layout.hpp"
#include "timeline/level_of_detail.hpp"

#include <imgui.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orrery::panels {

inline constexpr ImU32 kTimelineBackground = IM_COL32(30, 32, 36, 255);

ImU32 kind_color(timeline::SpanKind kind);
// "12.5 ms", "840 us", "3.20 s".
std::string format_duration(double seconds);

struct LanesScene {
  const TimelineLayout* layout = nullptr;
  const timeline::Timeline* timeline = nullptr;        // the current one (labels, selection)
  const timeline::Timeline* list_timeline = nullptr;   // the one `list` was computed from
  const timeline::DrawList* list = nullptr;
  std::optional<std::int64_t> selected_step;
  const std::vector<int>* straggler_counts = nullptr;  // per lane of `timeline`
};
void draw_lanes(ImDrawList* draw, const LanesScene& scene);

// The tooltip's text for the span of `lane` (row `row`) at time t, within half a pixel;
// empty when there is none. Mentions the merged block it is drawn in, if any.
std::string describe_span_at(const LanesScene& scene, int lane, int row, double t);

}  // namespace orrery::panels
