#include "common/run_follower.hpp"

#include "launch/local_launcher.hpp"
#include "series/load_run_h5.hpp"

#include <algorithm>
#include <cmath>
#include <span>

namespace orrery::panels {

namespace {

using namespace std::chrono_literals;

constexpr auto kFilePollInterval = 300ms;      // unaligned series catch up from run.h5 this often
constexpr auto kSystemPollInterval = 1000ms;   // the agent samples system series once a second
constexpr auto kRecordInterval = 500ms;        // run.json re-read while no agent answers
constexpr auto kFeedSilence = 2000ms;          // the agent publishes status every 250 ms
constexpr auto kSecondScanAfter = 1200ms;      // > 2 flush intervals of the agent (500 ms)
// Feed points held per unaligned series. Trimming from the front keeps them contiguous, so
// alignment still works (on a later flush); it bounds what a series the writer refuses costs.
constexpr std::size_t kMaxPending = std::size_t{1} << 19;
constexpr int kMaxMessagesPerPoll = 4000;
constexpr int kMaxReconcileTries = 20;                 // × kRecordInterval
constexpr auto kMaxFeedTimePerPoll = 30ms;

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

namespace {
class AgentFeed : public FeedSource {
 public:
  explicit AgentFeed(const runfiles::RunRecord& record) : client_(record, /*want_batches=*/true) {}
  std::optional<feed::FeedMessage> next(std::chrono::milliseconds timeout) override { return client_.next(timeout); }

 private:
  feed::FeedClient client_;
};
}  // namespace

std::unique_ptr<FeedSource> open_agent_feed(const runfiles::RunRecord& record) {
  return std::make_unique<AgentFeed>(record);
}

RunFollower::RunFollower(runfiles::Project project, std::string run_id, std::shared_ptr<series::SeriesStore> store,
                         FeedOpener open_feed)
    : project_(std::move(project)), run_id_(std::move(run_id)), store_(std::move(store)), open_feed_(std::move(open_feed)) {}

RunFollower::~RunFollower() = default;

RunFollower::Progress RunFollower::poll(std::chrono::milliseconds wait) {
  Progress progress;
  try {
    const auto now = Clock::now();
    switch (phase_) {
      case Phase::Opening:
        if (now >= next_record_read_) open(progress);
        break;
      case Phase::Subscribing:
        read_feed(wait, progress);
        if (phase_ == Phase::Subscribing && now - subscribed_at_ > kFeedSilence && now >= next_file_poll_) {
          // No word from the agent: show what the file holds and look at run.json again.
          next_file_poll_ = now + kRecordInterval;
          if (auto* r = reader()) progress.data |= series::load_run_h5(*store_, run_id_, *r).points_added > 0;
          record_ = runfiles::read_run_record(runfiles::run_path(project_, run_id_));
          set_status(launch::observed_status(record_), progress);
          if (runfiles::is_final(*status_)) finish(progress);
        }
        break;
      case Phase::Live:
        read_feed(wait, progress);
        if (phase_ == Phase::Live && Clock::now() >= next_file_poll_) poll_file(progress);
        if (phase_ == Phase::Live && Clock::now() - last_feed_message_ > kFeedSilence &&
            Clock::now() >= next_record_read_) {
          next_record_read_ = Clock::now() + kRecordInterval;
          record_ = runfiles::read_run_record(runfiles::run_path(project_, run_id_));
          set_status(launch::observed_status(record_), progress);
          if (runfiles::is_final(*status_)) finish(progress);
        }
        break;
      case Phase::Finishing:
        if (now >= next_record_read_) reconcile(progress);
        break;
      case Phase::Done:
        break;
    }
  } catch (const std::exception&) {
    // run.json being replaced, run.h5 being restructured by the writer, a run folder
    // deleted: drop the reader and try again on a later poll.
    reader_.reset();
    next_record_read_ = Clock::now() + kRecordInterval;
  }
  return progress;
}

// ---------------------------------------------------------------------------
// run.json, and the decision between the feed and the file alone
// ---------------------------------------------------------------------------
void RunFollower::open(Progress& progress) {
  next_record_read_ = Clock::now() + kRecordInterval;
  record_ = runfiles::read_run_record(runfiles::run_path(project_, run_id_));
  set_status(launch::observed_status(record_), progress);
  if (runfiles::is_final(*status_)) {
    finish(progress);
    return;
  }
  if (record_.agent.feed.empty()) return;   // the agent has not taken over yet
  // Subscribe before reading any history: every frame accepted from now on reaches us.
  feed_ = open_feed_(record_);
  phase_ = Phase::Subscribing;
  subscribed_at_ = Clock::now();
}

void RunFollower::read_feed(std::chrono::milliseconds wait, Progress& progress) {
  const auto deadline = Clock::now() + kMaxFeedTimePerPoll;
  for (int i = 0; i < kMaxMessagesPerPoll && feed_; ++i) {
    auto message = feed_->next(i == 0 ? wait : 0ms);
    if (!message) return;
    last_feed_message_ = Clock::now();
    if (phase_ == Phase::Subscribing) {
      // The subscription is in place (ZeroMQ subscribes asynchronously): the history read
      // below cannot miss a frame that the feed will not bring.
      phase_ = Phase::Live;
      next_file_poll_ = Clock::now();
      full_scans_left_ = 2;
      next_full_scan_ = Clock::now();
    }
    if (auto* s = std::get_if<feed::StatusMessage>(&*message)) on_status(s->status, progress);
    else on_batch(std::get<feed::BatchMessage>(*message).batch, progress);
    if (Clock::now() >= deadline) return;
  }
}

void RunFollower::on_status(const nlohmann::json& status, Progress& progress) {
  if (!status.is_object() || !status.contains("status") || !status["status"].is_string()) return;
  auto parsed = runfiles::parse_status(status["status"].get<std::string>());
  if (!parsed) return;
  set_status(*parsed, progress);
  // The agent flushes run.h5 before it publishes the final status: the file is complete.
  if (runfiles::is_final(*parsed)) finish(progress);
}

void RunFollower::set_status(runfiles::RunStatus status, Progress& progress) {
  if (status_ && *status_ == status) return;
  status_ = status;
  progress.status = runfiles::to_string(status);
}

// ---------------------------------------------------------------------------
// the feed
// ---------------------------------------------------------------------------
void RunFollower::on_batch(const telemetry::Batch& batch, Progress& progress) {
  // The agent forwards frames of ranks it refuses (rank >= the job's size) without storing them.
  if (batch.rank < 0 || batch.rank >= std::max(record_.ranks, 1)) return;
  const auto sender = std::make_pair(static_cast<int>(batch.rank), batch.source);
  auto last = last_seq_.find(sender);
  if (last != last_seq_.end() && batch.seq != last->second + 1) lose_rank(batch.rank);
  last_seq_[sender] = batch.seq;
  for (const auto& m : batch.metrics) on_points(m, batch.rank, progress);
}

void RunFollower::on_points(const telemetry::MetricSeries& m, int rank, Progress& progress) {
  const std::size_t k = m.values.size();
  // What the writer refuses never reaches the file, so it never reaches the store either.
  if (k == 0 || m.steps.size() != k || m.times.size() != k || !runfiles::valid_series_name(m.name)) return;
  Track& t = track(rank, m.name);
  if (!t.aligned) {
    for (std::size_t i = 0; i < k; ++i) t.pending.push_back({m.steps[i], m.times[i], m.values[i]});
    if (t.pending.size() > kMaxPending)   // still contiguous: the file index of pending[0] just moves on
      t.pending.erase(t.pending.begin(), t.pending.begin() + static_cast<std::ptrdiff_t>(t.pending.size() - kMaxPending / 2));
    return;
  }
  const std::size_t first = t.next_file_index;
  t.next_file_index += k;
  const std::size_t held = t.series ? t.series->size() : 0;
  if (first > held) {   // points the store never got: catch up from the file again
    t.aligned = false;
    for (std::size_t i = 0; i < k; ++i) t.pending.push_back({m.steps[i], m.times[i], m.values[i]});
    return;
  }
  if (first + k <= held) return;   // the file gave us these already
  const std::size_t skip = held - first;
  if (!t.series) t.series = store_->get_or_create({run_id_, "metrics", m.name, rank});
  t.series->append(std::span(m.steps).subspan(skip), std::span(m.times).subspan(skip),
                   std::span(m.values).subspan(skip));
  progress.data = true;
  progress.feed_points += k - skip;
}

void RunFollower::lose_rank(int rank) {
  for (auto& [key, t] : tracks_) {
    if (key.rank != rank) continue;
    t.aligned = false;
    t.pending.clear();
  }
  full_scans_left_ = std::max(full_scans_left_, 1);   // a point lost may sit in a series no later frame touches
}

RunFollower::Track& RunFollower::track(int rank, const std::string& name) {
  auto [it, inserted] = tracks_.try_emplace(runfiles::SeriesKey{"metrics", rank, name});
  if (inserted) it->second.series = store_->find({run_id_, "metrics", name, rank});
  return it->second;
}

// ---------------------------------------------------------------------------
// the file
// ---------------------------------------------------------------------------
const runfiles::RunH5Reader* RunFollower::reader() {
  if (!reader_) {
    const auto path = runfiles::run_path(project_, run_id_) / "run.h5";
    if (!std::filesystem::exists(path)) return nullptr;
    reader_ = std::make_unique<runfiles::RunH5Reader>(path);
  }
  return reader_.get();
}

void RunFollower::poll_file(Progress& progress) {
  const auto now = Clock::now();
  next_file_poll_ = now + kFilePollInterval;
  auto* r = reader();
  if (!r) return;
  // A full scan reads every unaligned series, even one with no feed point since we
  // subscribed: points accepted before the subscription may reach the file only at a
  // later flush. Two scans: at once, then after the agent has surely flushed again.
  const bool full_scan = full_scans_left_ > 0 && now >= next_full_scan_;
  if (full_scan) {
    --full_scans_left_;
    next_full_scan_ = now + kSecondScanAfter;
  }
  const bool system_due = now >= next_system_poll_;
  if (system_due) next_system_poll_ = now + kSystemPollInterval;
  for (const auto& key : r->list_series()) {
    if (key.group != "metrics") {
      if (system_due) catch_up(key, r->read_series(key), progress);
      continue;
    }
    auto it = tracks_.find(key);
    if (it != tracks_.end() && it->second.aligned) continue;
    if (!full_scan && (it == tracks_.end() || it->second.pending.empty())) continue;
    const auto data = r->read_series(key);
    catch_up(key, data, progress);
    Track& t = track(key.rank, key.name);
    t.series = store_->find(series::store_key(run_id_, key));
    if (!t.pending.empty()) align(key, t, data, progress);
  }
}

// The store holds a prefix of the file: append the file's points beyond it.
void RunFollower::catch_up(const runfiles::SeriesKey& key, const runfiles::SeriesData& data, Progress& progress) {
  const auto skey = series::store_key(run_id_, key);
  auto s = store_->find(skey);
  const std::size_t held = s ? s->size() : 0;
  if (data.values.size() <= held) return;
  if (!s) s = store_->get_or_create(skey);
  const std::size_t n = data.values.size() - held;
  s->append(std::span(data.steps).subspan(held, n), std::span(data.times).subspan(held, n),
            std::span(data.values).subspan(held, n));
  progress.data = true;
}

// Finds the file index of the first held feed point: the lowest index from which the
// file's points equal the held ones for as long as both last.
void RunFollower::align(const runfiles::SeriesKey& key, Track& t, const runfiles::SeriesData& data,
                        Progress& progress) {
  const std::size_t file_size = data.values.size();
  const std::size_t held_feed = t.pending.size();
  // The feed is never behind the file, so pending[0] cannot lie before file_size - held_feed.
  const std::size_t lowest = file_size > held_feed ? file_size - held_feed : 0;
  auto matches_at = [&](std::size_t f0) {
    for (std::size_t i = f0; i < file_size; ++i) {
      const Point& p = t.pending[i - f0];
      if (data.steps[i] != p.step || data.times[i] != p.time || !same_value(data.values[i], p.value)) return false;
    }
    return true;
  };
  for (std::size_t f0 = lowest; f0 < file_size; ++f0) {
    if (!matches_at(f0)) continue;
    const std::size_t held = t.series ? t.series->size() : 0;   // == file_size after catch_up
    t.next_file_index = f0 + held_feed;
    if (held < t.next_file_index) {
      if (!t.series) t.series = store_->get_or_create(series::store_key(run_id_, key));
      std::vector<std::int64_t> steps;
      std::vector<double> times, values;
      for (std::size_t i = held - f0; i < held_feed; ++i) {
        steps.push_back(t.pending[i].step);
        times.push_back(t.pending[i].time);
        values.push_back(t.pending[i].value);
      }
      t.series->append(steps, times, values);
      progress.data = true;
      progress.feed_points += steps.size();
    }
    t.aligned = true;
    t.pending = {};
    return;
  }
}

// The run has ended (or its agent is gone): make the store equal run.h5.
void RunFollower::finish(Progress& progress) {
  feed_.reset();
  tracks_.clear();
  phase_ = Phase::Finishing;
  reconcile(progress);
  // The final status is announced once the store equals the file, so a listener that
  // reacts to it sees the final data.
  if (phase_ == Phase::Finishing && progress.status) {
    held_status_ = progress.status;
    progress.status.reset();
  }
}

// Makes the store equal run.h5. A file that cannot be read just now (the writer closing
// it, a crashed writer's file being opened) is tried again on later polls, a few times.
void RunFollower::reconcile(Progress& progress) {
  next_record_read_ = Clock::now() + kRecordInterval;
  reader_.reset();   // a fresh reader sees the file as the writer closed it
  try {
    auto* r = reader();
    if (r) {
      auto report = series::load_run_h5(*store_, run_id_, *r);
      progress.data |= report.points_added > 0;
      if (!report.ahead.empty() || !report.differ.empty()) {
        // Feed points that never reached the file (an agent killed between two flushes).
        store_->remove_run(run_id_);
        series::load_run_h5(*store_, run_id_, *r);
        progress.data = true;
        progress.repaired = true;
      }
    }
    phase_ = Phase::Done;
  } catch (const std::exception&) {
    if (++reconcile_failures_ >= kMaxReconcileTries) phase_ = Phase::Done;
  }
  reader_.reset();
  if (phase_ == Phase::Done && held_status_) {
    progress.status = held_status_;
    held_status_.reset();
  }
}

}  // namespace orrery::panels
