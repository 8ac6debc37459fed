// Follows one run for the workbench's series store: history from run.h5, then the
// agent's live feed, spliced so the store ends with exactly the file's points.
//
// Qt-free; driven by RunDataService's single I/O thread (every call into HDF5 of
// the workbench's run data happens on that thread).
//
// The splice rule. The agent appends every accepted telemetry frame to run.h5 and
// forwards the same frame on the feed at the same moment, then flushes the file
// every 500 ms. So for one series (rank, name) the feed since we subscribed is a
// contiguous run of the file's points, starting at an unknown file index F0, and
// the file is never ahead of the feed. The store keeps each series a prefix of the
// file, and a series is "aligned" once F0 is known: the first feed point we hold
// has been found in the file, followed by the rest of the held feed points (the
// whole overlap is compared bit for bit: step, wall time, value). From then on a
// feed point with file index i is appended iff i equals the store's size. Until
// then the series catches up from the file on every poll and holds its feed points.
// A lost feed message (a gap in a sender's `seq`) sends that rank's series back to
// catching up. When the run ends, the store is compared with run.h5 and re-read
// where they differ, so it always ends equal to the file.
#pragma once

#include "runfiles/project.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_record.hpp"
#include "series/series_store.hpp"
#include "telemetry/wire.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "feed/feed_client.hpp"

#include <functional>

namespace orrery::panels {

// Where a follower's live messages come from: the agent's feed (feed::FeedClient with
// batches). An interface so a test can put itself between the agent and the follower
// (to lose messages on purpose, as a slow subscriber would).
class FeedSource {
 public:
  virtual ~FeedSource() = default;
  virtual std::optional<feed::FeedMessage> next(std::chrono::milliseconds timeout) = 0;
};
using FeedOpener = std::function<std::unique_ptr<FeedSource>(const runfiles::RunRecord&)>;
// The agent's live feed of the run in the record (throws when it has no agent endpoints).
std::unique_ptr<FeedSource> open_agent_feed(const runfiles::RunRecord& record);

class RunFollower {
 public:
  RunFollower(runfiles::Project project, std::string run_id, std::shared_ptr<series::SeriesStore> store,
              FeedOpener open_feed = open_agent_feed);
  ~RunFollower();
  RunFollower(const RunFollower&) = delete;
  RunFollower& operator=(const RunFollower&) = delete;

  struct Progress {
    bool data = false;                    // the store gained points
    std::optional<std::string> status;    // the observed status changed to this
    bool repaired = false;                // at the end the store disagreed with run.h5 and was re-read
    std::size_t feed_points = 0;          // points the store took from the live feed
  };
  // Does what is due: reads the feed (waiting at most `wait` for its first message),
  // polls run.h5, re-reads run.json. Never throws: a damaged file or a vanished agent
  // is retried or ends the following.
  Progress poll(std::chrono::milliseconds wait);
  // Following a live feed (a caller may wait on it); false before the agent is up and once finished.
  bool live() const { return feed_ != nullptr; }
  // Finished: history loaded and, for a run that was live, reconciled with the final file.
  bool done() const { return phase_ == Phase::Done; }
  const std::string& run_id() const { return run_id_; }

 private:
  enum class Phase { Opening, Subscribing, Live, Finishing, Done };
  using Clock = std::chrono::steady_clock;
  struct Point { std::int64_t step; double time; double value; };
  struct Track {                       // one metrics series (rank, name) fed live
    std::shared_ptr<series::Series> series;
    bool aligned = false;
    std::size_t next_file_index = 0;   // aligned: file index of the next feed point
    std::vector<Point> pending;        // not aligned: feed points held, in order
  };

  void open(Progress& progress);
  void read_feed(std::chrono::milliseconds wait, Progress& progress);
  void on_status(const nlohmann::json& status, Progress& progress);
  void on_batch(const telemetry::Batch& batch, Progress& progress);
  void on_points(const telemetry::MetricSeries& m, int rank, Progress& progress);
  void lose_rank(int rank);
  void poll_file(Progress& progress);
  void catch_up(const runfiles::SeriesKey& key, const runfiles::SeriesData& data, Progress& progress);
  void align(const runfiles::SeriesKey& key, Track& track, const runfiles::SeriesData& data, Progress& progress);
  void finish(Progress& progress);
  void reconcile(Progress& progress);
  void set_status(runfiles::RunStatus status, Progress& progress);
  Track& track(int rank, const std::string& name);
  const runfiles::RunH5Reader* reader();

  runfiles::Project project_;
  std::string run_id_;
  std::shared_ptr<series::SeriesStore> store_;
  Phase phase_ = Phase::Opening;
  runfiles::RunRecord record_;
  std::optional<runfiles::RunStatus> status_;
  std::optional<std::string> held_status_;   // a final status waiting for the store to equal the file
  FeedOpener open_feed_;
  std::unique_ptr<FeedSource> feed_;
  std::unique_ptr<runfiles::RunH5Reader> reader_;
  std::map<runfiles::SeriesKey, Track> tracks_;
  std::map<std::pair<int, std::string>, std::uint64_t> last_seq_;   // per sender (rank, source)
  int full_scans_left_ = 0;
  int reconcile_failures_ = 0;
  Clock::time_point next_full_scan_{};
  Clock::time_point subscribed_at_{}, last_feed_message_{}, next_file_poll_{}, next_system_poll_{}, next_record_read_{};
};

}  // namespace orrery::panels
