// Hit-testing a timeline (which span is under a point) against a brute-force scan of
// every span of the row, on random rows with touching, zero-length and tiny spans.
#include <gtest/gtest.h>

#include "timeline/hit_test.hpp"
#include "timeline/timeline.hpp"

#include <optional>
#include <random>
#include <vector>

namespace {

using orrery::runfiles::SpanRecord;
using namespace orrery::timeline;

// The rule of span_at, by looking at every span: nearest within tolerance, ties to the earliest start.
std::optional<std::size_t> brute_force(const Lane& lane, int row, double t, double tolerance) {
  std::optional<std::size_t> best;
  double best_d = 0;
  for (std::size_t i = lane.row_first(row); i < lane.row_end(row); ++i) {
    const double d = distance_to_span(lane.start[i], lane.end[i], t);
    if (d <= tolerance && (!best || d < best_d)) {
      best = i;
      best_d = d;
    }
  }
  return best;
}

// Spans on a quantized clock (so touching and equal edges happen often), some nested and overlapping.
std::vector<SpanRecord> random_spans(std::mt19937& rng, int n) {
  std::uniform_int_distribution<int> gap(0, 3), len(0, 6), nest(0, 9);
  std::vector<SpanRecord> out;
  double t = 0;
  for (int i = 0; i < n; ++i) {
    t += gap(rng) * 0.25;
    const double end = t + len(rng) * 0.25;
    out.push_back({"compute", "s" + std::to_string(i % 3), i / 4, t, end});
    if (nest(rng) == 0) out.push_back({"comm", "inner", i / 4, t, t + (end - t) / 2});
    if (nest(rng) == 1) out.push_back({"io", "overlap", i / 4, (t + end) / 2, end + 1.0});
    t = end;
  }
  return out;
}

TEST(TimelineHitTest, MatchesBruteForceOnRandomRows) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> tol(0.0, 0.6);
  for (int trial = 0; trial < 20; ++trial) {
    const auto spans = random_spans(rng, 150);
    auto lane = build_lane(0, nullptr, spans);
    ASSERT_GE(lane->rows(), 2) << "the random spans are meant to need a second row";
    const double last = spans.back().end + 2;
    std::uniform_real_distribution<double> anywhere(-1.0, last);
    std::uniform_int_distribution<int> quarter(-4, static_cast<int>(last * 4));
    for (int q = 0; q < 400; ++q) {
      // Half the probes on exact quarter ticks, where edges and zero-length spans sit.
      const double t = q % 2 ? anywhere(rng) : quarter(rng) * 0.25;
      const double tolerance = q % 5 == 0 ? 0.0 : tol(rng);
      for (int row = 0; row < lane->rows(); ++row) {
        ASSERT_EQ(span_at(*lane, row, t, tolerance), brute_force(*lane, row, t, tolerance))
            << "trial " << trial << " row " << row << " t " << t << " tolerance " << tolerance;
      }
    }
  }
}

TEST(TimelineHitTest, FindsTheSpanUnderAPointAndNothingInAGap) {
  const std::vector<SpanRecord> spans{{"compute", "forward", 1, 10.0, 11.0}, {"comm", "allreduce", 1, 12.0, 12.5}};
  auto lane = build_lane(3, nullptr, spans);
  ASSERT_EQ(lane->rows(), 1);
  auto hit = span_at(*lane, 0, 12.2, 0.0);
  ASSERT_TRUE(hit);
  EXPECT_EQ(lane->span_name(*hit), "allreduce");
  EXPECT_FALSE(span_at(*lane, 0, 11.5, 0.1));           // in the gap, farther than the tolerance
  EXPECT_EQ(span_at(*lane, 0, 11.5, 0.6), std::optional<std::size_t>(0));   // nearer to forward's end
  EXPECT_FALSE(span_at(*lane, 1, 10.5, 1.0));            // no such row
  EXPECT_FALSE(span_at(*lane, -1, 10.5, 1.0));
}

}  // namespace
