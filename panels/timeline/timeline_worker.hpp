// The rank timeline's worker thread: level of detail for the view being shown, and the
// imbalance statistics once the view rests, both off the UI thread so panning and
// zooming 64 ranks x 100,000 spans stays fluid.
//
// Requests are "latest wins": a new view replaces a request not started yet. Results
// are handed to callbacks on the worker thread; the view posts them to the UI thread.
#pragma once

#include "timeline/imbalance.hpp"
#include "timeline/level_of_detail.hpp"
#include "timeline/timeline.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace orrery::panels {

// Imbalance statistics of one window (timeline/imbalance.hpp).
struct ImbalanceStats {
  double begin = 0, end = 0;
  std::vector<timeline::KindSeconds> totals;   // per lane
  timeline::PhaseProfile phases;
};

class TimelineWorker {
 public:
  // Each result comes with the timeline it was computed from (its lane indices refer to it).
  using TimelinePtr = std::shared_ptr<const timeline::Timeline>;
  using DrawListReady = std::function<void(std::shared_ptr<const timeline::DrawList>, TimelinePtr)>;
  using StatsReady = std::function<void(std::shared_ptr<const ImbalanceStats>, TimelinePtr)>;
  TimelineWorker(DrawListReady on_draw_list, StatsReady on_stats);
  ~TimelineWorker();   // waits for the job in progress (one level of detail: milliseconds)
  TimelineWorker(const TimelineWorker&) = delete;
  TimelineWorker& operator=(const TimelineWorker&) = delete;

  void request_draw_list(TimelinePtr timeline, timeline::TimeWindow window, double min_pixels);
  void request_stats(TimelinePtr timeline, double begin, double end, int bins);

 private:
  struct DrawJob {
    TimelinePtr timeline;
    timeline::TimeWindow window;
    double min_pixels;
  };
  struct StatsJob {
    TimelinePtr timeline;
    double begin, end;
    int bins;
  };
  void run();

  DrawListReady on_draw_list_;
  StatsReady on_stats_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<DrawJob> draw_job_;
  std::optional<StatsJob> stats_job_;
  std::thread thread_;   // last: starts once everything above exists
};

}  // namespace orrery::panels
