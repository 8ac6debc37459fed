// The imbalance views beside the lanes, for one span kind over the window shown:
// per-rank time as a sorted bar plot and its histogram (hpcviewer's load-imbalance
// view), and the number of ranks in each kind over time (Vampir's summary timeline).
#pragma once

#include "timeline/timeline_worker.hpp"

#include <utility>
#include <vector>

namespace orrery::panels {

// (rank, seconds of `kind`) for every lane, most first; ties by rank.
std::vector<std::pair<int, double>> sorted_rank_totals(const ImbalanceStats& stats, const timeline::Timeline& timeline,
                                                       timeline::SpanKind kind);

// An ImGui window at (x, y) of the given size; `kind` changes when the user picks another.
void draw_imbalance(const ImbalanceStats* stats, const timeline::Timeline* timeline, timeline::SpanKind& kind, float x,
                    float y, float width, float height);

}  // namespace orrery::panels
