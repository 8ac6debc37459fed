#include "timeline/span_follower.hpp"

#include "launch/local_launcher.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_record.hpp"

#include <map>
#include <optional>

namespace orrery::panels {

SpanFollower::SpanFollower(runfiles::Project project, std::string run_id, std::chrono::milliseconds poll_interval,
                           QObject* parent)
    : QObject(parent),
      project_(std::move(project)),
      run_id_(std::move(run_id)),
      poll_interval_(poll_interval) {}

void SpanFollower::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { work(); });
}

SpanFollower::~SpanFollower() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SpanFollower::work() {
  const auto run_dir = runfiles::run_path(project_, run_id_);
  timeline::TimelineBuilder builder;
  std::map<int, std::size_t> rows_read;   // per rank: rows of its span table already in the builder
  std::unique_ptr<runfiles::RunH5Reader> reader;
  std::shared_ptr<const timeline::Timeline> published;
  QString last_problem;
  bool announced_end = false;
  int failures_after_end = 0;   // a finished run whose spans cannot be read: a few retries, then give up
  while (true) {
    // Status first: if the run is over before this read, this read is the last one.
    bool live = true;
    try {
      live = !runfiles::is_final(launch::observed_status(runfiles::read_run_record(run_dir)));
    } catch (const std::exception&) {
      // run.json being replaced or unreadable: keep polling, the file says more next time.
    }
    QString trouble;
    try {
      if (!reader) reader = std::make_unique<runfiles::RunH5Reader>(run_dir / "run.h5");
      for (int rank : reader->span_ranks()) {
        std::vector<runfiles::SpanRecord> spans = reader->read_spans(rank);
        std::size_t& done = rows_read[rank];
        if (spans.size() > done) {
          builder.add(rank, std::span(spans).subspan(done));
          done = spans.size();
        }
      }
    } catch (const std::exception& e) {
      trouble = QString::fromStdString(e.what());
      reader.reset();   // reopened on the next poll (the writer may have been restructuring)
    }
    if (trouble != last_problem) {
      last_problem = trouble;
      emit problem(trouble);
    }
    auto timeline = builder.timeline();
    if (timeline != published || (!live && !announced_end)) {
      published = timeline;
      announced_end = !live;
      emit timelineChanged(timeline, live);
    }
    if (!live && (trouble.isEmpty() || ++failures_after_end >= 3)) return;
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, poll_interval_, [this] { return stop_; })) return;
  }
}

}  // namespace orrery::panels
