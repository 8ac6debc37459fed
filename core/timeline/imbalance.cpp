#include "timeline/imbalance.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::timeline {

namespace {

// Calls fn(span index) for the spans of a row that meet [begin, end].
template <class Fn>
void for_spans_in(const Lane& lane, int row, double begin, double end, Fn&& fn) {
  const auto ends = lane.end.begin();
  std::size_t i = static_cast<std::size_t>(std::lower_bound(ends + static_cast<std::ptrdiff_t>(lane.row_first(row)),
                                                            ends + static_cast<std::ptrdiff_t>(lane.row_end(row)), begin) -
                                           ends);
  for (; i < lane.row_end(row) && lane.start[i] <= end; ++i) fn(i);
}

}  // namespace

std::vector<KindSeconds> kind_totals(const Timeline& timeline, double begin, double end) {
  std::vector<KindSeconds> out(timeline.lanes.size(), KindSeconds{});
  for (std::size_t l = 0; l < timeline.lanes.size(); ++l) {
    const Lane& lane = *timeline.lanes[l];
    for (int r = 0; r < lane.rows(); ++r) {
      for_spans_in(lane, r, begin, end, [&](std::size_t i) {
        const double covered = std::min(lane.end[i], end) - std::max(lane.start[i], begin);
        if (covered > 0) out[l][static_cast<std::size_t>(kind_index(lane.kind[i]))] += covered;
      });
    }
  }
  return out;
}

Histogram histogram(std::span<const double> values, int bins) {
  Histogram h;
  if (values.empty() || bins < 1) return h;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  h.low = *lo;
  h.high = *hi;
  h.counts.assign(static_cast<std::size_t>(bins), 0);
  const double width = (h.high - h.low) / bins;
  for (double v : values) {
    int b = width > 0 ? static_cast<int>((v - h.low) / width) : 0;
    ++h.counts[static_cast<std::size_t>(std::clamp(b, 0, bins - 1))];
  }
  return h;
}

PhaseProfile phase_profile(const Timeline& timeline, double begin, double end, int bins) {
  PhaseProfile p;
  p.begin = begin;
  p.end = end;
  if (bins < 1 || !(end > begin)) return p;
  p.ranks.assign(static_cast<std::size_t>(bins), {});
  const double width = (end - begin) / bins;
  for (const auto& lane_ptr : timeline.lanes) {
    const Lane& lane = *lane_ptr;
    if (lane.rows() == 0) continue;
    for_spans_in(lane, 0, begin, end, [&](std::size_t i) {
      const double s = std::max(lane.start[i], begin), e = std::min(lane.end[i], end);
      if (!(e > s)) return;
      const auto k = static_cast<std::size_t>(kind_index(lane.kind[i]));
      int b0 = std::clamp(static_cast<int>((s - begin) / width), 0, bins - 1);
      const int b1 = std::clamp(static_cast<int>((e - begin) / width), 0, bins - 1);
      for (int b = b0; b <= b1; ++b) {
        const double lo = begin + b * width, hi = lo + width;
        const double covered = std::min(e, hi) - std::max(s, lo);
        if (covered > 0) p.ranks[static_cast<std::size_t>(b)][k] += static_cast<float>(covered / width);
      }
    });
  }
  return p;
}

}  // namespace orrery::timeline
