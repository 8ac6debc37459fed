// Which span of a lane's row is under a point in time: the span nearest to t within
// `tolerance` seconds (half a pixel on screen), distance 0 inside a span; of equally
// near spans, the one that starts first. Binary search: a row's starts and ends both
// increase (timeline.hpp).
#pragma once

#include "timeline/timeline.hpp"

#include <cstddef>
#include <optional>

namespace orrery::timeline {

// Index into the lane's arrays, or nullopt when no span of the row is that near.
std::optional<std::size_t> span_at(const Lane& lane, int row, double t, double tolerance);

// Distance from t to a span [start, end]: 0 inside, else to the nearer edge.
inline double distance_to_span(double start, double end, double t) {
  return t < start ? start - t : (t > end ? t - end : 0.0);
}

}  // namespace orrery::timeline
