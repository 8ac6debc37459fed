#include "timeline/timeline_draw.hpp"

#include "timeline/hit_test.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace orrery::panels {

namespace {

ImU32 darker(ImU32 color) {
  const auto channel = [&](int shift) { return ((color >> shift) & 0xFF) * 6 / 10; };
  return IM_COL32(channel(IM_COL32_R_SHIFT), channel(IM_COL32_G_SHIFT), channel(IM_COL32_B_SHIFT), 255);
}

constexpr ImU32 kText = IM_COL32(220, 222, 228, 255);
constexpr ImU32 kDimText = IM_COL32(150, 154, 162, 255);
constexpr ImU32 kCritical = IM_COL32(235, 64, 52, 255);
constexpr ImU32 kSelection = IM_COL32(255, 214, 64, 255);

// Tick spacing of 1, 2 or 5 times a power of ten giving at least `min_pixels` between ticks.
double tick_step(double seconds_per_pixel, double min_pixels) {
  const double raw = seconds_per_pixel * min_pixels;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

void draw_ruler(ImDrawList* draw, const TimelineLayout& l, double origin) {
  draw->AddRectFilled({0, 0}, {l.lanes_right, l.lanes_top}, IM_COL32(40, 43, 48, 255));
  const double step = tick_step(l.seconds_per_pixel(), 90);
  const double first = std::ceil((l.begin - origin) / step) * step + origin;
  for (double t = first; t <= l.end; t += step) {
    const float x = l.x_at(t);
    draw->AddLine({x, l.lanes_top - 6}, {x, l.lanes_top}, kDimText);
    const std::string label = "+" + format_duration(t - origin);
    draw->AddText({x + 3, 3}, kDimText, label.c_str());
  }
}

void draw_labels(ImDrawList* draw, const LanesScene& s) {
  const TimelineLayout& l = *s.layout;
  draw->AddRectFilled({0, l.lanes_top}, {l.lanes_left, l.lanes_bottom}, IM_COL32(36, 38, 43, 255));
  for (std::size_t i = 0; i < s.timeline->lanes.size(); ++i) {
    const float y = l.lane_y(static_cast<int>(i));
    if (y > l.lanes_bottom || y + l.lane_height(static_cast<int>(i)) < l.lanes_top) continue;
    char text[64];
    const int last = s.straggler_counts && i < s.straggler_counts->size() ? (*s.straggler_counts)[i] : 0;
    if (last > 0)
      std::snprintf(text, sizeof text, "rank %d  last %d", s.timeline->lanes[i]->rank, last);
    else
      std::snprintf(text, sizeof text, "rank %d", s.timeline->lanes[i]->rank);
    if (l.row_height >= 10) draw->AddText({4, y}, last > 0 ? kText : kDimText, text);
  }
}

}  // namespace

ImU32 kind_color(timeline::SpanKind kind) {
  using timeline::SpanKind;
  switch (kind) {
    case SpanKind::Compute: return IM_COL32(76, 175, 80, 255);
    case SpanKind::Comm: return IM_COL32(33, 150, 243, 255);
    case SpanKind::Io: return IM_COL32(255, 152, 0, 255);
    case SpanKind::Checkpoint: return IM_COL32(171, 71, 188, 255);
    case SpanKind::Idle: return IM_COL32(120, 124, 130, 255);
    case SpanKind::Other: break;
  }
  return IM_COL32(0, 172, 193, 255);
}

std::string format_duration(double seconds) {
  char text[32];
  const double a = std::fabs(seconds);
  if (a >= 1.0 || a == 0.0)
    std::snprintf(text, sizeof text, "%.3f s", seconds);
  else if (a >= 1e-3)
    std::snprintf(text, sizeof text, "%.3f ms", seconds * 1e3);
  else if (a >= 1e-6)
    std::snprintf(text, sizeof text, "%.3f us", seconds * 1e6);
  else
    std::snprintf(text, sizeof text, "%.0f ns", seconds * 1e9);
  return text;
}

void draw_lanes(ImDrawList* draw, const LanesScene& s) {
  const TimelineLayout& l = *s.layout;
  draw->PushClipRect({l.lanes_left, l.lanes_top}, {l.lanes_right, l.lanes_bottom}, true);
  if (s.list && s.list_timeline) {
    const auto& lanes = s.list_timeline->lanes;
    const float left = l.lanes_left, right = l.lanes_right;
    for (std::size_t i = 0; i < s.list->lanes.size() && i < l.lane_top.size(); ++i) {
      const float y = l.lane_y(static_cast<int>(i));
      if (y > l.lanes_bottom || y + l.lane_height(static_cast<int>(i)) < l.lanes_top) continue;
      const timeline::Lane& lane = *lanes[i];
      for (const timeline::DrawBlock& b : s.list->lanes[i]) {
        float x0 = l.x_at(b.start), x1 = l.x_at(b.end);
        if (x1 < left || x0 > right) continue;
        x0 = std::max(x0, left - 1);
        x1 = std::min(std::max(x1, x0 + 1), right + 1);   // sub-pixel spans still show
        const float top = y + static_cast<float>(b.row) * l.row_height;
        const float bottom = top + l.row_height - (l.row_height >= 8 ? 1 : 0);
        const ImU32 color = kind_color(b.kind);
        if (b.count > 1) {
          draw->AddRectFilled({x0, top}, {x1, bottom}, darker(color));
          if (x1 - x0 > 30 && l.row_height >= 12) {
            char text[24];
            std::snprintf(text, sizeof text, "%u", b.count);
            draw->AddText({x0 + 2, top}, kText, text);
          }
        } else {
          draw->AddRectFilled({x0, top}, {x1, bottom}, color);
          if (x1 - x0 > 40 && l.row_height >= 12) {
            const std::string& name = lane.span_name(b.first);
            draw->PushClipRect({x0, top}, {x1, bottom}, true);
            draw->AddText({std::max(x0, left) + 2, top}, IM_COL32(20, 20, 20, 255), name.c_str());
            draw->PopClipRect();
          }
        }
      }
    }
    // Critical path: a red bar under the straggler's lane for each step it ended last.
    for (const timeline::CriticalMark& m : s.list->critical) {
      if (m.lane < 0 || static_cast<std::size_t>(m.lane) >= l.lane_top.size()) continue;
      const float y = l.lane_y(m.lane) + l.lane_height(m.lane);
      const float x0 = std::max(l.x_at(m.start), left - 1), x1 = std::min(std::max(l.x_at(m.end), x0 + 1), right + 1);
      draw->AddRectFilled({x0, y}, {x1, y + std::min(2.0f, TimelineLayout::kLaneGap)}, kCritical);
    }
  }
  // The selected step, on every rank that ran it; the rank that ended it last outlined in red.
  if (s.selected_step && s.timeline) {
    const timeline::StepSummary* summary = s.timeline->find_step(*s.selected_step);
    for (std::size_t i = 0; i < s.timeline->lanes.size() && i < l.lane_top.size(); ++i) {
      const timeline::StepExtent* e = s.timeline->lanes[i]->find_step(*s.selected_step);
      if (!e) continue;
      const float y = l.lane_y(static_cast<int>(i));
      const float x0 = l.x_at(e->start), x1 = std::max(l.x_at(e->end), x0 + 1);
      const bool straggler = summary && summary->straggler_lane == static_cast<int>(i);
      draw->AddRectFilled({x0, y}, {x1, y + l.lane_height(static_cast<int>(i))}, IM_COL32(255, 214, 64, 60));
      draw->AddRect({x0 - 1, y - 1}, {x1 + 1, y + l.lane_height(static_cast<int>(i)) + 1},
                    straggler ? kCritical : kSelection, 0, 0, straggler ? 2.0f : 1.0f);
    }
  }
  draw->PopClipRect();
  if (s.timeline) {
    draw_ruler(draw, l, s.timeline->begin);
    draw_labels(draw, s);
  }
}

std::string describe_span_at(const LanesScene& s, int lane, int row, double t) {
  if (!s.timeline || lane < 0 || static_cast<std::size_t>(lane) >= s.timeline->lanes.size()) return {};
  const timeline::Lane& l = *s.timeline->lanes[static_cast<std::size_t>(lane)];
  const auto hit = timeline::span_at(l, row, t, s.layout->seconds_per_pixel() * 0.5);
  if (!hit) return {};
  const std::size_t i = *hit;
  char text[256];
  std::snprintf(text, sizeof text, "rank %d  step %" PRId64 "\n%s (%s)\n%s, at +%s", l.rank, l.step[i],
                l.span_name(i).c_str(), std::string(timeline::span_kind_label(l.kind[i])).c_str(),
                format_duration(l.end[i] - l.start[i]).c_str(), format_duration(l.start[i] - s.timeline->begin).c_str());
  std::string out = text;
  // The block this span is drawn in, when the level of detail merged it with others.
  if (s.list && s.list_timeline == s.timeline && static_cast<std::size_t>(lane) < s.list->lanes.size()) {
    for (const timeline::DrawBlock& b : s.list->lanes[static_cast<std::size_t>(lane)]) {
      if (b.count > 1 && b.first <= i && i < b.first + b.count) {
        std::snprintf(text, sizeof text, "\ndrawn merged with %u spans over %s (zoom in to separate)", b.count - 1,
                      format_duration(b.end - b.start).c_str());
        out += text;
        break;
      }
    }
  }
  if (const timeline::StepSummary* st = s.timeline->find_step(l.step[i]); st && st->straggler_lane == lane) {
    out += "\nlast rank to finish this step (by " + format_duration(st->lag) + ")";
  }
  return out;
}

}  // namespace orrery::panels
