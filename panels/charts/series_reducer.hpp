// What one chart draws for the current view, computed off the UI thread from the
// full data in the SeriesStore: per run (or per rank) the smoothed line, the raw line
// behind it, and the min/max band across ranks, each decimated to the chart's pixel
// width (core/series/decimate). The UI thread only swaps the points in.
//
// x order: steps may repeat or go backwards (a resumed run logs steps again) and wall
// clocks can jump. A column that is non-decreasing (checked incrementally as points
// arrive) is decimated in place; one that is not is drawn from a stable sort by x of
// a copy, for the step axis and the time axes alike (core/series/x_order.hpp). EMA
// smoothing runs in arrival order, before that sort: it follows what the run did.
#pragma once

#include "series/anchored_decimation.hpp"
#include "series/minmax_blocks.hpp"
#include "series/rank_band.hpp"
#include "series/series_store.hpp"
#include "series/smoothing.hpp"

#include <QList>
#include <QPointF>
#include <QString>

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace orrery::panels {

enum class XAxisKind { Step, WallTime, RelativeTime };

struct ChartOptions {
  XAxisKind x_axis = XAxisKind::Step;
  bool log_y = false;     // points with y <= 0 are left out: a log axis cannot place them
  bool per_rank = false;  // one line per rank instead of the mean and its min/max band
  double smoothing = 0;   // EMA weight in [0, 1); 0 draws the raw line only
  bool operator==(const ChartOptions&) const = default;
};

struct ChartRun {
  std::string run_id;
  QString label;
};

// One line of a chart. rank -1: the run's line (its only rank, or the mean of its ranks).
enum class LineRole { Main, Raw, BandLow, BandHigh };
struct LineKey {
  int run = 0;  // index into ReduceRequest::runs
  int rank = -1;
  LineRole role = LineRole::Main;
  auto operator<=>(const LineKey&) const = default;
};

// x in axis units: steps; milliseconds since the epoch (what QDateTimeAxis takes);
// seconds since the run's first point.
struct ReduceRequest {
  std::uint64_t serial = 0;
  std::shared_ptr<series::SeriesStore> store;
  std::string group = "metrics";
  std::string metric;
  std::vector<ChartRun> runs;
  ChartOptions options;
  bool follow_data = true;  // the view is the data's whole x extent
  double x_min = 0, x_max = 1;
  int columns = 800;        // the plot area's width in pixels
};

struct ReduceResult {
  std::uint64_t serial = 0;
  std::map<LineKey, QList<QPointF>> lines;
  std::map<int, int> ranks_of_run;  // run index -> ranks seen
  bool has_data = false;
  double x_min = 0, x_max = 1;      // the view drawn
  double y_min = 0, y_max = 1;      // extent of the points inside the view (0..1 when none)
};

// Derived data kept between the jobs of one chart (sort orders, EMA state, bands), so a
// pan or a few new points cost a decimation, not a recomputation from scratch. Used by
// one job at a time.
struct ReducerCache {
  // What one line keeps between jobs: the block summary of its values, and its pixel
  // columns anchored in data space (a pan reduces only the columns that come into view).
  struct LineColumns {
    series::MinMaxBlocks blocks;
    series::AnchoredDecimation columns;
  };
  struct Order {
    std::size_t checked = 0;  // x[0..checked) is known to be non-decreasing
    bool sorted = true;
    std::vector<std::size_t> order;  // the stable sort, when not sorted
  };
  struct Smooth {
    double weight = -1;
    series::Ema ema{0};
    std::vector<double> values;
    LineColumns line;
  };
  struct PerSeries {
    Order by_step, by_time;
    Smooth smooth;
    LineColumns line;  // of the values
  };
  struct PerBand {
    std::vector<std::size_t> sizes;  // rank sizes it was computed from
    series::RankBand band;
    Order by_step, by_time;
    Smooth smooth;
    LineColumns mean_line, min_line, max_line;
  };
  std::map<std::pair<std::string, int>, PerSeries> series;
  std::map<std::string, PerBand> bands;
};

ReduceResult reduce_for_view(const ReduceRequest& request, ReducerCache& cache);

}  // namespace orrery::panels
