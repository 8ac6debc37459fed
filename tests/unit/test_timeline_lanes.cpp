// The rank timeline's model (core/timeline): lanes laid out in non-overlapping rows,
// step extents and stragglers, level of detail (merged blocks cover exactly the visible
// spans, every drawn block is at least a pixel or a single span), live appends out of
// order, damaged spans refused, and the imbalance statistics.
#include <gtest/gtest.h>

#include "timeline/imbalance.hpp"
#include "timeline/level_of_detail.hpp"
#include "timeline/timeline.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace {

using orrery::runfiles::SpanRecord;
using namespace orrery::timeline;

// A rank of `steps` training steps: forward/backward compute, an allreduce, every 5th step a checkpoint.
std::vector<SpanRecord> training_rank(int rank, int steps, double slow_rank_extra = 0) {
  std::vector<SpanRecord> out;
  double t = 100.0;
  for (int s = 0; s < steps; ++s) {
    const double compute = 0.010 + (rank == 1 ? slow_rank_extra : 0);
    out.push_back({"compute", "forward", s, t, t + compute / 2});
    out.push_back({"compute", "backward", s, t + compute / 2, t + compute});
    t += compute;
    out.push_back({"comm", "allreduce", s, t, t + 0.002});
    t += 0.002;
    if (s % 5 == 4) {
      out.push_back({"checkpoint", "save", s, t, t + 0.005});
      t += 0.005;
    }
  }
  return out;
}

void expect_rows_valid(const Lane& lane) {
  for (int r = 0; r < lane.rows(); ++r) {
    for (std::size_t i = lane.row_first(r) + 1; i < lane.row_end(r); ++i) {
      ASSERT_LE(lane.end[i - 1], lane.start[i]) << "overlap in row " << r;
      ASSERT_LE(lane.start[i - 1], lane.start[i]);
    }
  }
}

TEST(TimelineLanes, NestedAndOverlappingSpansGoToRowsBelow) {
  const std::vector<SpanRecord> spans{
      {"compute", "backward", 0, 1.0, 2.0},   // the agent writes spans in the order they end
      {"comm", "bucket 0", 0, 1.5, 2.5},      // overlaps the compute
      {"compute", "step", 0, 1.0, 3.0},       // encloses both, ended last
      {"io", "load", 1, 3.0, 3.5}};
  auto lane = build_lane(0, nullptr, spans);
  expect_rows_valid(*lane);
  ASSERT_EQ(lane->rows(), 3);
  EXPECT_EQ(lane->span_name(lane->row_first(0)), "step");
  EXPECT_EQ(lane->span_name(lane->row_first(1)), "backward");
  EXPECT_EQ(lane->span_name(lane->row_first(2)), "bucket 0");
  EXPECT_EQ(lane->row_end(0) - lane->row_first(0), 2u);   // step, then load
  EXPECT_EQ(lane->kind[lane->row_first(0) + 1], SpanKind::Io);
  ASSERT_NE(lane->find_step(0), nullptr);
  EXPECT_DOUBLE_EQ(lane->find_step(0)->start, 1.0);
  EXPECT_DOUBLE_EQ(lane->find_step(0)->end, 3.0);
  EXPECT_EQ(lane->find_step(7), nullptr);
}

TEST(TimelineLanes, DamagedSpansAreDroppedAndCounted) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TimelineBuilder builder;
  builder.add(0, std::vector<SpanRecord>{{"compute", "ok", 0, 1.0, 2.0},
                                         {"compute", "backwards", 0, 3.0, 2.0},
                                         {"compute", "nan", 0, nan, 2.0},
                                         {"compute", "inf", 0, 1.0, std::numeric_limits<double>::infinity()}});
  builder.add(-1, std::vector<SpanRecord>{{"compute", "no rank", 0, 1.0, 2.0}});
  auto t = builder.timeline();
  EXPECT_EQ(t->span_count, 1u);
  EXPECT_EQ(builder.rejected(), 3u);
  ASSERT_EQ(t->lanes.size(), 1u);
}

TEST(TimelineLanes, LiveAppendsOutOfOrderGiveTheSameLaneAsOneRead) {
  auto spans = training_rank(0, 40);
  std::mt19937 rng(3);
  std::shuffle(spans.begin(), spans.end(), rng);
  TimelineBuilder live;
  for (std::size_t i = 0; i < spans.size(); i += 17)
    live.add(0, std::span(spans).subspan(i, std::min<std::size_t>(17, spans.size() - i)));
  TimelineBuilder once;
  once.add(0, spans);
  const Lane& a = *live.timeline()->lanes[0];
  const Lane& b = *once.timeline()->lanes[0];
  expect_rows_valid(a);
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.row_begin, b.row_begin);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.span_name(i), b.span_name(i));
}

TEST(TimelineLanes, TheSlowRankIsTheStragglerOfEveryStep) {
  TimelineBuilder builder;
  for (int r = 0; r < 4; ++r) builder.add(r, training_rank(r, 10, 0.003));
  auto t = builder.timeline();
  ASSERT_EQ(t->steps.size(), 10u);
  for (const StepSummary& s : t->steps) {
    EXPECT_EQ(t->lanes[static_cast<std::size_t>(s.straggler_lane)]->rank, 1) << "step " << s.step;
    EXPECT_GT(s.lag, 0.0);
  }
  // The critical path drawn over the whole run: all steps on rank 1's lane.
  DrawList list = level_of_detail(*t, {t->begin, t->end, 2000});
  ASSERT_FALSE(list.critical.empty());
  std::uint32_t steps = 0;
  for (const CriticalMark& m : list.critical) {
    EXPECT_EQ(m.lane, 1);
    steps += m.steps;
  }
  EXPECT_EQ(steps, 10u);
}

// Every span meeting the window is covered by exactly one block of its row; a block of
// several spans is made only of spans narrower than a pixel.
void expect_exact_cover(const Lane& lane, const TimeWindow& w) {
  const double px = w.seconds_per_pixel();
  std::vector<DrawBlock> blocks = lane_blocks(lane, w);
  std::set<std::size_t> covered;
  for (const DrawBlock& b : blocks) {
    ASSERT_GE(b.count, 1u);
    ASSERT_EQ(lane.row_of(b.first), b.row);
    ASSERT_EQ(lane.row_of(b.first + b.count - 1), b.row);
    EXPECT_DOUBLE_EQ(b.start, lane.start[b.first]);
    EXPECT_DOUBLE_EQ(b.end, lane.end[b.first + b.count - 1]);
    for (std::size_t i = b.first; i < b.first + b.count; ++i) {
      ASSERT_TRUE(covered.insert(i).second) << "span " << i << " in two blocks";
      if (b.count > 1) {
        EXPECT_LT(lane.end[i] - lane.start[i], px) << "a span a pixel wide or more was merged";
      }
    }
    EXPECT_EQ(b.kind, lane.kind[b.first]);
  }
  for (std::size_t i = 0; i < lane.size(); ++i) {
    const bool visible = lane.end[i] >= w.begin && lane.start[i] <= w.end;
    EXPECT_EQ(covered.count(i) == 1, visible) << "span " << i;
  }
}

TEST(TimelineLevelOfDetail, BlocksCoverExactlyTheVisibleSpans) {
  auto spans = training_rank(0, 300);
  spans.push_back({"io", "long read", 0, 100.5, 101.5});   // a wide span in a row of its own
  auto lane = build_lane(0, nullptr, spans);
  const double begin = spans.front().start, end = spans.back().end + 5;
  for (int pixels : {50, 400, 3000}) {
    expect_exact_cover(*lane, {begin, end, pixels});
    expect_exact_cover(*lane, {begin + 0.7, begin + 1.9, pixels});
  }
}

TEST(TimelineLevelOfDetail, ZoomedOutManySpansBecomeFewBlocks) {
  auto lane = build_lane(0, nullptr, training_rank(0, 2000));
  TimeWindow all{lane->start.front(), lane->end.back(), 200};
  auto blocks = lane_blocks(*lane, all);
  std::size_t spans = 0, merged = 0;
  for (const DrawBlock& b : blocks) {
    spans += b.count;
    merged += b.count > 1;
  }
  EXPECT_EQ(spans, lane->size());
  EXPECT_LE(blocks.size(), 2u * 200 + 2) << "about one block per pixel per row";
  EXPECT_GT(merged, 0u);
  // Zoomed in on one step every span is drawn on its own.
  TimeWindow one_step{100.0, 100.012, 1200};
  for (const DrawBlock& b : lane_blocks(*lane, one_step)) EXPECT_EQ(b.count, 1u);
}

TEST(TimelineImbalance, KindTotalsHistogramAndPhases) {
  TimelineBuilder builder;
  for (int r = 0; r < 3; ++r) builder.add(r, training_rank(r, 10, 0.004));
  auto t = builder.timeline();
  auto totals = kind_totals(*t, t->begin, t->end);
  ASSERT_EQ(totals.size(), 3u);
  EXPECT_NEAR(totals[0][kind_index(SpanKind::Compute)], 10 * 0.010, 1e-9);
  EXPECT_NEAR(totals[1][kind_index(SpanKind::Compute)], 10 * 0.014, 1e-9);
  EXPECT_NEAR(totals[2][kind_index(SpanKind::Comm)], 10 * 0.002, 1e-9);
  EXPECT_NEAR(totals[0][kind_index(SpanKind::Checkpoint)], 2 * 0.005, 1e-9);
  // Clipped to a window: the first half of rank 0's first forward.
  auto part = kind_totals(*t, 100.0, 100.0025);
  EXPECT_NEAR(part[0][kind_index(SpanKind::Compute)], 0.0025, 1e-12);

  std::vector<double> compute{totals[0][0], totals[1][0], totals[2][0]};
  Histogram h = histogram(compute, 4);
  EXPECT_NEAR(h.low, 0.1, 1e-9);   // sums of differences of large times: not exact
  EXPECT_NEAR(h.high, 0.14, 1e-12);
  EXPECT_EQ(h.counts, (std::vector<int>{2, 0, 0, 1}));
  EXPECT_TRUE(histogram({}, 4).counts.empty());

  // At the very start all three ranks compute; the bins' kind counts never exceed the ranks.
  PhaseProfile p = phase_profile(*t, t->begin, t->end, 50);
  ASSERT_EQ(p.ranks.size(), 50u);
  EXPECT_NEAR(p.ranks[0][kind_index(SpanKind::Compute)], 3.0, 1e-3);
  for (const auto& bin : p.ranks) {
    float sum = 0;
    for (float v : bin) sum += v;
    EXPECT_LE(sum, 3.0f + 1e-3f);
  }
}

}  // namespace
