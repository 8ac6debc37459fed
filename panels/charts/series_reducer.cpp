#include "charts/series_reducer.hpp"

#include "series/decimate.hpp"
#include "series/x_order.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
#include <cmath>
#include <limits>
#include <span>

namespace orrery::panels {

namespace {

using series::Columns;
using series::Points;

constexpr double kInf = std::numeric_limits<double>::infinity();

// axis = (data - offset) * scale
struct AxisMap {
  double offset = 0, scale = 1;
  double to_data(double axis) const { return axis / scale + offset; }
  double to_axis(double data) const { return (data - offset) * scale; }
};

// Makes sure `order` knows whether x is sorted (only new points are checked).
template <class X>
void update_order(std::span<const X> x, ReducerCache::Order& o) {
  if (x.size() < o.checked) o = {};  // the series was replaced
  if (o.sorted) {
    o.sorted = series::non_decreasing_from(x, o.checked);
    o.checked = x.size();
  }
  if (!o.sorted && o.order.size() != x.size()) o.order = series::stable_order(x);
}

template <class X>
std::pair<double, double> extent(std::span<const X> x, const ReducerCache::Order& o) {
  if (x.empty()) return {kInf, -kInf};
  if (o.sorted) return {static_cast<double>(x.front()), static_cast<double>(x.back())};
  return {static_cast<double>(x[o.order.front()]), static_cast<double>(x[o.order.back()])};
}

// line: the summary and columns kept for y, used when x is sorted (y then is in x order
// as it is).
template <class X>
Points decimate(std::span<const X> x, std::span<const double> y, const ReducerCache::Order& o, double lo, double hi,
                int columns, ReducerCache::LineColumns& line) {
  if (o.sorted) {
    line.blocks.update(y);
    return line.columns.decimate(x, y, lo, hi, columns, line.blocks);
  }
  const auto xs = series::permuted(x, o.order);
  const auto ys = series::permuted(y, o.order);
  return series::decimate_min_max<X>(xs, ys, lo, hi, columns);
}

std::span<const double> smoothed(std::span<const double> values, double weight, ReducerCache::Smooth& s) {
  if (s.weight != weight || s.values.size() > values.size()) {
    s.weight = weight;
    s.ema = series::Ema(weight);
    s.values.clear();
    s.line = {};
  }
  s.ema.extend(values.subspan(s.values.size()), s.values);
  return s.values;
}

// The decimated points of one run's lines, in axis units, and the y extent of those
// inside the view.
class LineSink {
 public:
  LineSink(double view_lo, double view_hi, const AxisMap& map, bool log_y)
      : view_lo_(view_lo), view_hi_(view_hi), map_(map), log_y_(log_y) {}
  void put(const LineKey& key, const Points& p) {
    QList<QPointF>& line = lines[key];
    line.reserve(static_cast<qsizetype>(p.x.size()));
    for (std::size_t i = 0; i < p.x.size(); ++i) {
      if (log_y_ && !(p.y[i] > 0)) continue;
      const double x = map_.to_axis(p.x[i]);
      line.append(QPointF(x, p.y[i]));
      if (x >= view_lo_ && x <= view_hi_) {
        y_lo = std::min(y_lo, p.y[i]);
        y_hi = std::max(y_hi, p.y[i]);
      }
    }
  }
  std::map<LineKey, QList<QPointF>> lines;
  double y_lo = kInf, y_hi = -kInf;

 private:
  double view_lo_, view_hi_;
  AxisMap map_;
  bool log_y_;
};

// Runs fn(i) for i in [0, n) on up to max_workers threads (this one included).
template <class Fn>
void for_each_parallel(std::size_t n, std::size_t max_workers, Fn&& fn) {
  const std::size_t workers = std::min(n, max_workers);
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();
  if (error) std::rethrow_exception(error);
}

struct RankSeries {
  int rank;
  std::shared_ptr<series::Series> data;
  ReducerCache::PerSeries* cache;
};

}  // namespace

ReduceResult reduce_for_view(const ReduceRequest& rq, ReducerCache& cache) {
  ReduceResult out;
  out.serial = rq.serial;
  const bool by_step = rq.options.x_axis == XAxisKind::Step;
  const double weight = std::clamp(rq.options.smoothing, 0.0, 0.999);

  // The ranks of each run that logged this metric.
  std::vector<std::vector<RankSeries>> runs(rq.runs.size());
  for (std::size_t r = 0; r < rq.runs.size(); ++r) {
    for (const auto& key : rq.store->keys_of_run(rq.runs[r].run_id)) {
      if (key.group != rq.group || key.name != rq.metric) continue;
      if (auto s = rq.store->find(key)) runs[r].push_back({key.rank, s, &cache.series[{key.run_id, key.rank}]});
    }
    out.ranks_of_run[static_cast<int>(r)] = static_cast<int>(runs[r].size());
  }

  // Each run's first wall time (the origin of relative time), then the data's x extent.
  std::vector<double> origin(rq.runs.size(), kInf);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    for (auto& rs : runs[r]) {
      rs.data->read([&](const Columns& c) {
        std::span<const double> times = c.times;
        update_order(times, rs.cache->by_time);
        origin[r] = std::min(origin[r], extent(times, rs.cache->by_time).first);
        if (by_step) update_order(std::span<const std::int64_t>(c.steps), rs.cache->by_step);
      });
    }
  }
  double data_lo = kInf, data_hi = -kInf;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const double shift = rq.options.x_axis == XAxisKind::RelativeTime ? origin[r] : 0.0;
    for (auto& rs : runs[r]) {
      rs.data->read([&](const Columns& c) {
        const auto e = by_step ? extent(std::span<const std::int64_t>(c.steps), rs.cache->by_step)
                               : extent(std::span<const double>(c.times), rs.cache->by_time);
        data_lo = std::min(data_lo, e.first - shift);
        data_hi = std::max(data_hi, e.second - shift);
      });
    }
  }
  out.has_data = data_lo <= data_hi;
  const double axis_scale = rq.options.x_axis == XAxisKind::WallTime ? 1000.0 : 1.0;
  if (rq.follow_data) {
    out.x_min = out.has_data ? data_lo * axis_scale : 0;
    out.x_max = out.has_data ? data_hi * axis_scale : 1;
  } else {
    out.x_min = rq.x_min;
    out.x_max = rq.x_max;
  }

  // Runs are independent, each with its own cache entries, so they are reduced in
  // parallel; unless a run is listed twice (the two would share cache entries).
  std::vector<ReducerCache::PerBand*> band_caches(runs.size(), nullptr);
  std::set<std::string> distinct;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    band_caches[r] = &cache.bands[rq.runs[r].run_id];
    distinct.insert(rq.runs[r].run_id);
  }
  const std::size_t workers =
      distinct.size() == runs.size() ? std::max(1u, std::thread::hardware_concurrency()) : std::size_t{1};
  std::vector<std::unique_ptr<LineSink>> sinks(runs.size());
  for_each_parallel(runs.size(), workers, [&](std::size_t r) {
    const AxisMap map{rq.options.x_axis == XAxisKind::RelativeTime ? origin[r] : 0.0, axis_scale};
    const double lo = map.to_data(out.x_min), hi = map.to_data(out.x_max);
    sinks[r] = std::make_unique<LineSink>(out.x_min, out.x_max, map, rq.options.log_y);
    LineSink& sink = *sinks[r];
    const int run = static_cast<int>(r);
    // One line and its faint raw line behind, from columns x / values.
    auto draw = [&](auto x, std::span<const double> values, ReducerCache::Order& order,
                    ReducerCache::LineColumns& line, ReducerCache::Smooth& smooth, int rank) {
      if (weight > 0) {
        sink.put({run, rank, LineRole::Raw}, decimate(x, values, order, lo, hi, rq.columns, line));
        sink.put({run, rank, LineRole::Main},
                 decimate(x, smoothed(values, weight, smooth), order, lo, hi, rq.columns, smooth.line));
      } else {
        sink.put({run, rank, LineRole::Main}, decimate(x, values, order, lo, hi, rq.columns, line));
      }
    };

    if (rq.options.per_rank || runs[r].size() == 1) {
      for (auto& rs : runs[r]) {
        const int rank = rq.options.per_rank ? rs.rank : -1;
        rs.data->read([&](const Columns& c) {
          auto& pc = *rs.cache;
          if (by_step) draw(std::span<const std::int64_t>(c.steps), c.values, pc.by_step, pc.line, pc.smooth, rank);
          else draw(std::span<const double>(c.times), c.values, pc.by_time, pc.line, pc.smooth, rank);
        });
      }
    } else if (!runs[r].empty()) {
      // The mean line and the min/max band, recomputed only when a rank has grown.
      auto& pb = *band_caches[r];
      std::vector<std::size_t> sizes;
      for (auto& rs : runs[r]) sizes.push_back(rs.data->size());
      if (sizes != pb.sizes) {
        std::vector<Columns> copies;
        copies.reserve(runs[r].size());
        for (auto& rs : runs[r]) copies.push_back(rs.data->read([](const Columns& c) { return c; }));
        std::vector<const Columns*> views;
        for (auto& c : copies) views.push_back(&c);
        pb = {};
        pb.sizes = sizes;
        pb.band = series::rank_band(views);
      }
      const auto& b = pb.band;
      auto band = [&](auto x, ReducerCache::Order& order) {
        update_order(x, order);
        draw(x, b.mean, order, pb.mean_line, pb.smooth, -1);
        sink.put({run, -1, LineRole::BandLow},
                 decimate(x, std::span<const double>(b.min), order, lo, hi, rq.columns, pb.min_line));
        sink.put({run, -1, LineRole::BandHigh},
                 decimate(x, std::span<const double>(b.max), order, lo, hi, rq.columns, pb.max_line));
      };
      if (by_step) band(std::span<const std::int64_t>(b.steps), pb.by_step);
      else band(std::span<const double>(b.times), pb.by_time);
    }
  });
  double y_lo = kInf, y_hi = -kInf;
  for (auto& sink : sinks) {
    out.lines.merge(sink->lines);
    y_lo = std::min(y_lo, sink->y_lo);
    y_hi = std::max(y_hi, sink->y_hi);
  }
  if (y_lo <= y_hi) {
    out.y_min = y_lo;
    out.y_max = y_hi;
  }
  return out;
}

}  // namespace orrery::panels
