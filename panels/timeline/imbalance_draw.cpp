#include "timeline/imbalance_draw.hpp"

#include "timeline/timeline_draw.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace orrery::panels {

std::vector<std::pair<int, double>> sorted_rank_totals(const ImbalanceStats& stats, const timeline::Timeline& timeline,
                                                       timeline::SpanKind kind) {
  std::vector<std::pair<int, double>> out;
  const auto k = static_cast<std::size_t>(timeline::kind_index(kind));
  for (std::size_t i = 0; i < stats.totals.size() && i < timeline.lanes.size(); ++i)
    out.emplace_back(timeline.lanes[i]->rank, stats.totals[i][k]);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

namespace {

constexpr ImU32 kFrame = IM_COL32(70, 74, 82, 255);

// The next `height` pixels of the window as a framed box; returns its corners.
std::pair<ImVec2, ImVec2> box(float height) {
  const ImVec2 a = ImGui::GetCursorScreenPos();
  const ImVec2 b{a.x + ImGui::GetContentRegionAvail().x, a.y + height};
  ImGui::Dummy({b.x - a.x, height});
  ImGui::GetWindowDrawList()->AddRect(a, b, kFrame);
  return {a, b};
}

void sorted_bars(const std::vector<std::pair<int, double>>& totals, ImU32 color) {
  const auto [a, b] = box(110);
  if (totals.empty() || totals.front().second <= 0) return;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float w = (b.x - a.x - 2) / static_cast<float>(totals.size());
  const double top = totals.front().second;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (std::size_t i = 0; i < totals.size(); ++i) {
    const float x0 = a.x + 1 + w * static_cast<float>(i), x1 = std::max(x0 + 1, x0 + w - (w > 3 ? 1 : 0));
    const float y0 = b.y - 1 - static_cast<float>(totals[i].second / top) * (b.y - a.y - 2);
    draw->AddRectFilled({x0, y0}, {x1, b.y - 1}, color);
    if (mouse.x >= x0 && mouse.x < x0 + w && mouse.y >= a.y && mouse.y < b.y)
      ImGui::SetTooltip("rank %d: %s", totals[i].first, format_duration(totals[i].second).c_str());
  }
}

void histogram_bars(const std::vector<std::pair<int, double>>& totals, ImU32 color) {
  std::vector<double> values;
  for (const auto& t : totals) values.push_back(t.second);
  const timeline::Histogram h = timeline::histogram(values, 12);
  const auto [a, b] = box(80);
  if (h.counts.empty()) return;
  const int most = *std::max_element(h.counts.begin(), h.counts.end());
  const float w = (b.x - a.x - 2) / static_cast<float>(h.counts.size());
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    const float x0 = a.x + 1 + w * static_cast<float>(i);
    const float y0 = b.y - 1 - static_cast<float>(h.counts[i]) / static_cast<float>(most) * (b.y - a.y - 2);
    draw->AddRectFilled({x0, y0}, {x0 + w - 1, b.y - 1}, color);
  }
  ImGui::TextDisabled("%s .. %s, up to %d ranks a bin", format_duration(h.low).c_str(),
                      format_duration(h.high).c_str(), most);
}

void phase_chart(const timeline::PhaseProfile& p, int ranks) {
  const auto [a, b] = box(110);
  if (p.ranks.empty() || ranks == 0) return;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float w = (b.x - a.x - 2) / static_cast<float>(p.ranks.size());
  const float scale = (b.y - a.y - 2) / static_cast<float>(ranks);
  for (std::size_t i = 0; i < p.ranks.size(); ++i) {
    float y = b.y - 1;
    const float x0 = a.x + 1 + w * static_cast<float>(i);
    for (int k = 0; k < timeline::kSpanKindCount; ++k) {
      const float h = p.ranks[i][static_cast<std::size_t>(k)] * scale;
      if (h <= 0) continue;
      draw->AddRectFilled({x0, y - h}, {x0 + std::max(w, 1.0f), y}, kind_color(static_cast<timeline::SpanKind>(k)));
      y -= h;
    }
  }
}

}  // namespace

void draw_imbalance(const ImbalanceStats* stats, const timeline::Timeline* timeline, timeline::SpanKind& kind, float x,
                    float y, float width, float height) {
  ImGui::SetNextWindowPos({x, y});
  ImGui::SetNextWindowSize({width, height});
  ImGui::Begin("Imbalance", nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoTitleBar);
  ImGui::TextUnformatted("Imbalance over the view");
  const std::string current(timeline::span_kind_label(kind));
  if (ImGui::BeginCombo("kind", current.c_str())) {
    for (int k = 0; k < timeline::kSpanKindCount; ++k) {
      const auto candidate = static_cast<timeline::SpanKind>(k);
      const std::string label(timeline::span_kind_label(candidate));
      if (ImGui::Selectable(label.c_str(), candidate == kind)) kind = candidate;
    }
    ImGui::EndCombo();
  }
  if (!stats || !timeline || stats->totals.size() != timeline->lanes.size()) {
    ImGui::TextDisabled("computing...");
    ImGui::End();
    return;
  }
  const auto totals = sorted_rank_totals(*stats, *timeline, kind);
  double sum = 0;
  for (const auto& t : totals) sum += t.second;
  const double mean = totals.empty() ? 0 : sum / static_cast<double>(totals.size());
  const double most = totals.empty() ? 0 : totals.front().second;
  ImGui::TextUnformatted("time per rank, sorted");
  ImGui::Text("max %s (rank %d), mean %s", format_duration(most).c_str(), totals.empty() ? -1 : totals.front().first,
              format_duration(mean).c_str());
  if (most > 0) ImGui::Text("imbalance (max - mean) / max: %.1f %%", 100 * (most - mean) / most);
  const ImU32 color = kind_color(kind);
  sorted_bars(totals, color);
  ImGui::TextUnformatted("histogram of the ranks' times");
  histogram_bars(totals, color);
  ImGui::TextUnformatted("ranks in each kind over time");
  phase_chart(stats->phases, static_cast<int>(timeline->lanes.size()));
  for (int k = 0; k < timeline::kSpanKindCount; ++k) {
    const auto candidate = static_cast<timeline::SpanKind>(k);
    ImGui::ColorButton(std::string(timeline::span_kind_label(candidate)).c_str(),
                       ImGui::ColorConvertU32ToFloat4(kind_color(candidate)), ImGuiColorEditFlags_NoTooltip, {10, 10});
    ImGui::SameLine();
    ImGui::TextUnformatted(std::string(timeline::span_kind_label(candidate)).c_str());
    if (k % 3 != 2) ImGui::SameLine();
  }
  ImGui::End();
}

}  // namespace orrery::panels
