#include "timeline/hit_test.hpp"

#include <algorithm>

namespace orrery::timeline {

std::optional<std::size_t> span_at(const Lane& lane, int row, double t, double tolerance) {
  if (row < 0 || row >= lane.rows()) return std::nullopt;
  const std::size_t first = lane.row_first(row), last = lane.row_end(row);
  if (first == last) return std::nullopt;
  // p: the first span starting after t. Spans before p lie left of t or contain it, and
  // their distance shrinks towards p; spans from p on lie right of t and grow away.
  const auto starts = lane.start.begin();
  const std::size_t p = static_cast<std::size_t>(std::upper_bound(starts + static_cast<std::ptrdiff_t>(first),
                                                                  starts + static_cast<std::ptrdiff_t>(last), t) - starts);
  std::optional<std::size_t> best;
  double best_distance = 0;
  if (p > first) {
    std::size_t left = p - 1;
    const double d = distance_to_span(lane.start[left], lane.end[left], t);
    // Equal ends mean equal distances: the earliest of them wins.
    while (left > first && distance_to_span(lane.start[left - 1], lane.end[left - 1], t) == d) --left;
    best = left;
    best_distance = d;
  }
  if (p < last) {
    const double d = distance_to_span(lane.start[p], lane.end[p], t);
    if (!best || d < best_distance) {
      best = p;
      best_distance = d;
    }
  }
  if (best && best_distance <= tolerance) return best;
  return std::nullopt;
}

}  // namespace orrery::timeline
