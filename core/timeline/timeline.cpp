#include "timeline/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace orrery::timeline {

namespace {

// A rank whose spans overlap more than this many deep is not a timeline any more but a
// damaged or hostile file: the spans that fit in no row are dropped and counted, which
// keeps row assignment linear.
constexpr std::size_t kMaxRows = 32;

struct FlatSpan {
  double start, end;
  std::int64_t step;
  SpanKind kind;
  std::uint32_t name;
  std::uint32_t row;
};

}  // namespace

int Lane::row_of(std::size_t span) const {
  auto it = std::upper_bound(row_begin.begin(), row_begin.end(), static_cast<std::uint32_t>(span));
  return static_cast<int>(it - row_begin.begin()) - 1;
}

const StepExtent* Lane::find_step(std::int64_t s) const {
  auto it = std::lower_bound(steps.begin(), steps.end(), s, [](const StepExtent& e, std::int64_t v) { return e.step < v; });
  return it != steps.end() && it->step == s ? &*it : nullptr;
}

const StepSummary* Timeline::find_step(std::int64_t s) const {
  auto it = std::lower_bound(steps.begin(), steps.end(), s, [](const StepSummary& e, std::int64_t v) { return e.step < v; });
  return it != steps.end() && it->step == s ? &*it : nullptr;
}

std::shared_ptr<const Lane> build_lane(int rank, const Lane* previous, std::span<const runfiles::SpanRecord> spans,
                                       std::size_t* rejected) {
  auto lane = std::make_shared<Lane>();
  lane->rank = rank;
  std::vector<FlatSpan> flat;
  flat.reserve((previous ? previous->size() : 0) + spans.size());
  if (previous) {
    lane->names = previous->names;
    for (std::size_t i = 0; i < previous->size(); ++i)
      flat.push_back({previous->start[i], previous->end[i], previous->step[i], previous->kind[i], previous->name[i], 0});
  }
  // A rank has a handful of distinct span names: the map is small however many spans there are.
  std::unordered_map<std::string, std::uint32_t> name_ids;
  for (std::uint32_t i = 0; i < lane->names.size(); ++i) name_ids.emplace(lane->names[i], i);
  auto intern = [&](const std::string& text) {
    auto [it, added] = name_ids.emplace(text, static_cast<std::uint32_t>(lane->names.size()));
    if (added) lane->names.push_back(text);
    return it->second;
  };
  std::size_t dropped = 0;
  for (const runfiles::SpanRecord& s : spans) {
    if (!std::isfinite(s.start) || !std::isfinite(s.end) || s.end < s.start) {
      ++dropped;
      continue;
    }
    flat.push_back({s.start, s.end, s.step, span_kind_from(s.kind), intern(s.name), 0});
  }

  // By start; of spans starting together the longer first, so a parent sits above its child.
  std::sort(flat.begin(), flat.end(), [](const FlatSpan& a, const FlatSpan& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  // Greedy rows: each span goes to the first row whose last span has ended.
  std::vector<double> row_end;
  std::vector<std::size_t> row_count;
  std::size_t kept = 0;
  for (FlatSpan& s : flat) {
    std::size_t r = 0;
    while (r < row_end.size() && row_end[r] > s.start) ++r;
    if (r == kMaxRows) {
      ++dropped;
      s.row = std::numeric_limits<std::uint32_t>::max();
      continue;
    }
    if (r == row_end.size()) {
      row_end.push_back(s.end);
      row_count.push_back(0);
    }
    row_end[r] = s.end;
    ++row_count[r];
    s.row = static_cast<std::uint32_t>(r);
    ++kept;
  }
  lane->row_begin.assign(row_count.size() + 1, 0);
  for (std::size_t r = 0; r < row_count.size(); ++r)
    lane->row_begin[r + 1] = lane->row_begin[r] + static_cast<std::uint32_t>(row_count[r]);
  lane->start.resize(kept);
  lane->end.resize(kept);
  lane->step.resize(kept);
  lane->kind.resize(kept);
  lane->name.resize(kept);
  std::vector<std::uint32_t> next(lane->row_begin.begin(), lane->row_begin.end() - 1);
  for (const FlatSpan& s : flat) {
    if (s.row == std::numeric_limits<std::uint32_t>::max()) continue;
    const std::uint32_t i = next[s.row]++;
    lane->start[i] = s.start;
    lane->end[i] = s.end;
    lane->step[i] = s.step;
    lane->kind[i] = s.kind;
    lane->name[i] = s.name;
  }

  // Step extents: spans sorted by step, then merged.
  std::vector<StepExtent> by_step;
  by_step.reserve(kept);
  for (std::size_t i = 0; i < kept; ++i) by_step.push_back({lane->step[i], lane->start[i], lane->end[i]});
  std::sort(by_step.begin(), by_step.end(), [](const StepExtent& a, const StepExtent& b) { return a.step < b.step; });
  for (const StepExtent& e : by_step) {
    if (!lane->steps.empty() && lane->steps.back().step == e.step) {
      lane->steps.back().start = std::min(lane->steps.back().start, e.start);
      lane->steps.back().end = std::max(lane->steps.back().end, e.end);
    } else {
      lane->steps.push_back(e);
    }
  }
  if (rejected) *rejected += dropped;
  return lane;
}

std::vector<StepSummary> summarize_steps(const std::vector<std::shared_ptr<const Lane>>& lanes) {
  struct Entry {
    std::int64_t step;
    int lane;
    double start, end;
  };
  std::vector<Entry> all;
  std::size_t total = 0;
  for (const auto& lane : lanes) total += lane->steps.size();
  all.reserve(total);
  for (std::size_t l = 0; l < lanes.size(); ++l)
    for (const StepExtent& e : lanes[l]->steps) all.push_back({e.step, static_cast<int>(l), e.start, e.end});
  std::stable_sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.step < b.step; });

  std::vector<StepSummary> out;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    StepSummary s{all[i].step, all[i].start, all[i].end, all[i].lane, 0};
    double second = -std::numeric_limits<double>::infinity();
    for (j = i + 1; j < all.size() && all[j].step == s.step; ++j) {
      s.start = std::min(s.start, all[j].start);
      if (all[j].end > s.end) {   // ties keep the lower lane
        second = s.end;
        s.end = all[j].end;
        s.straggler_lane = all[j].lane;
      } else {
        second = std::max(second, all[j].end);
      }
    }
    s.lag = j - i > 1 ? s.end - second : 0;
    out.push_back(s);
    i = j;
  }
  return out;
}

void TimelineBuilder::add(int rank, std::span<const runfiles::SpanRecord> spans) {
  if (rank < 0 || spans.empty()) return;
  auto& lane = lanes_[rank];
  lane = build_lane(rank, lane.get(), spans, &rejected_);
  changed_ = true;
}

std::shared_ptr<const Timeline> TimelineBuilder::timeline() {
  if (!changed_ && published_) return published_;
  auto t = std::make_shared<Timeline>();
  bool any = false;
  for (const auto& [rank, lane] : lanes_) {
    t->lanes.push_back(lane);
    t->span_count += lane->size();
    for (int r = 0; r < lane->rows(); ++r) {
      if (lane->row_first(r) == lane->row_end(r)) continue;
      const double first = lane->start[lane->row_first(r)], last = lane->end[lane->row_end(r) - 1];
      t->begin = any ? std::min(t->begin, first) : first;
      t->end = any ? std::max(t->end, last) : last;
      any = true;
    }
  }
  t->steps = summarize_steps(t->lanes);
  published_ = t;
  changed_ = false;
  return published_;
}

}  // namespace orrery::timeline
