#include "timeline/timeline_worker.hpp"

namespace orrery::panels {

TimelineWorker::TimelineWorker(DrawListReady on_draw_list, StatsReady on_stats)
    : on_draw_list_(std::move(on_draw_list)), on_stats_(std::move(on_stats)), thread_([this] { run(); }) {}

TimelineWorker::~TimelineWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void TimelineWorker::request_draw_list(TimelinePtr timeline, timeline::TimeWindow window, double min_pixels) {
  {
    std::lock_guard lock(mutex_);
    draw_job_ = DrawJob{std::move(timeline), window, min_pixels};
  }
  wake_.notify_one();
}

void TimelineWorker::request_stats(TimelinePtr timeline, double begin, double end, int bins) {
  {
    std::lock_guard lock(mutex_);
    stats_job_ = StatsJob{std::move(timeline), begin, end, bins};
  }
  wake_.notify_one();
}

void TimelineWorker::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || draw_job_ || stats_job_; });
    if (stop_) return;
    // The view being drawn comes first; statistics only when no view is waiting.
    if (draw_job_) {
      DrawJob job = std::move(*draw_job_);
      draw_job_.reset();
      lock.unlock();
      auto list = std::make_shared<const timeline::DrawList>(timeline::level_of_detail(*job.timeline, job.window, job.min_pixels));
      on_draw_list_(std::move(list), std::move(job.timeline));
      lock.lock();
    } else {
      StatsJob job = std::move(*stats_job_);
      stats_job_.reset();
      lock.unlock();
      auto stats = std::make_shared<ImbalanceStats>();
      stats->begin = job.begin;
      stats->end = job.end;
      stats->totals = timeline::kind_totals(*job.timeline, job.begin, job.end);
      stats->phases = timeline::phase_profile(*job.timeline, job.begin, job.end, job.bins);
      on_stats_(std::move(stats), std::move(job.timeline));
      lock.lock();
    }
  }
}

}  // namespace orrery::panels
