#include "runtime/curve_keys.hpp"
#include "runtime/host_name.hpp"
#include "telemetry_client.hpp"

#include <zmq.hpp>

#include <unistd.h>

#include <algorithm>

namespace orrery::runtime {

struct TelemetryClient::Transport {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::push};
};

TelemetryClient::TelemetryClient(ClientOptions options, const NameTable& names)
    : options_(std::move(options)), names_(names), transport_(std::make_unique<Transport>()) {
  active_.metrics.reserve(options_.metric_capacity);
  // A bounded queue in ZeroMQ too: when the agent stops reading, sends fail
  // at once (dontwait) and the batch is counted as dropped.
  transport_->socket.set(zmq::sockopt::sndhwm, 64);
  transport_->socket.set(zmq::sockopt::linger, 0);
  secure_rank_socket(transport_->socket, options_.endpoint);
  transport_->socket.connect(options_.endpoint);
  thread_ = std::thread([this] { run(); });
}

TelemetryClient::~TelemetryClient() { stop(); }

bool TelemetryClient::other_full() const {
  return active_.spans.size() + active_.events.size() + active_.logs.size() >= options_.other_capacity;
}

void TelemetryClient::append_metric(const MetricRecord& record) {
  std::unique_lock lock(mutex_);
  if (active_.metrics.size() >= options_.metric_capacity || stopping_) {
    ++dropped_;
    return;
  }
  active_.metrics.push_back(record);
  ++recorded_;
  // Wake the sender early under heavy load instead of waiting for the interval.
  if (active_.metrics.size() == wake_threshold()) {
    lock.unlock();
    wake_.notify_one();
  }
}

void TelemetryClient::span(telemetry::SpanItem span) {
  std::lock_guard lock(mutex_);
  if (other_full() || stopping_) { ++dropped_; return; }
  active_.spans.push_back(std::move(span));
  ++recorded_;
}

void TelemetryClient::event(telemetry::EventItem event) {
  std::lock_guard lock(mutex_);
  if (other_full() || stopping_) { ++dropped_; return; }
  active_.events.push_back(std::move(event));
  ++recorded_;
}

void TelemetryClient::log(telemetry::LogItem line) {
  std::lock_guard lock(mutex_);
  if (other_full() || stopping_) { ++dropped_; return; }
  active_.logs.push_back(std::move(line));
  ++recorded_;
}

void TelemetryClient::progress(double done, double total) {
  std::lock_guard lock(mutex_);
  active_.progress = telemetry::Progress{done, total};
}

void TelemetryClient::exit_report(const telemetry::ExitReport& report) {
  {
    std::lock_guard lock(mutex_);
    active_.exit = report;
  }
  wake_.notify_one();
}

ClientStats TelemetryClient::stats() const {
  std::lock_guard lock(mutex_);
  return {recorded_, sent_, dropped_};
}

void TelemetryClient::stop(std::chrono::milliseconds linger) {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // The last batches may still sit in ZeroMQ's queue: give them `linger` to leave.
  transport_->socket.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  transport_->socket.close();
  transport_->context.close();
}

void TelemetryClient::run() {
  Pending batch;
  batch.metrics.reserve(options_.metric_capacity);
  bool first = true;
  for (;;) {
    bool stop_after = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.interval, [&] {
        return stopping_ || active_.exit || active_.metrics.size() >= wake_threshold();
      });
      std::swap(batch, active_);
      stop_after = stopping_;
    }
    // Every stamp in `batch` was read before the swap, so before this pair is sampled.
    calibration_.advance();
    if (first || !batch.empty()) {
      const auto count = batch.metrics.size() + batch.spans.size() + batch.events.size() + batch.logs.size();
      bool ok = send_pending(batch);
      first = false;
      std::lock_guard lock(mutex_);
      (ok ? sent_ : dropped_) += count;
    }
    batch.metrics.clear();
    batch.spans.clear();
    batch.events.clear();
    batch.logs.clear();
    batch.progress.reset();
    batch.exit.reset();
    if (stop_after) break;
  }
}

bool TelemetryClient::send_pending(Pending& pending) {
  // ZeroMQ's queue is full (agent stalled or gone): the send below would fail, so drop the
  // batch before paying for grouping and encoding it, CPU the rank's compute can use.
  if (!pending.exit && !(transport_->socket.get(zmq::sockopt::events) & ZMQ_POLLOUT)) {
    std::lock_guard lock(mutex_);
    ++seq_;
    return false;
  }
  telemetry::Batch out;
  out.rank = options_.rank;
  out.source = options_.source;
  {
    std::lock_guard lock(mutex_);
    out.seq = seq_++;
    out.dropped_total = dropped_;
  }
  if (out.seq == 0) out.hello = telemetry::Hello{options_.hello_pid ? options_.hello_pid : static_cast<int>(getpid()), host_name(), options_.world_size};

  // Group points by name so the wire carries one column set per metric. Name ids are small
  // and dense: a counting pass over an array indexed by id sizes every column once.
  names_.append_new(name_cache_);
  const std::size_t unknown = name_cache_.size();   // an id the table does not know yet (never expected)
  std::vector<std::uint32_t> count(unknown + 1, 0), slot(unknown + 1, 0);
  for (const auto& r : pending.metrics) ++count[std::min<std::size_t>(r.name_id, unknown)];
  for (std::size_t id = 0; id <= unknown; ++id) {
    if (count[id] == 0) continue;
    slot[id] = static_cast<std::uint32_t>(out.metrics.size());
    telemetry::MetricSeries& series = out.metrics.emplace_back();
    series.name = id < unknown ? name_cache_[id] : std::string("?");
    series.steps.reserve(count[id]);
    series.times.reserve(count[id]);
    series.values.reserve(count[id]);
  }
  for (const auto& r : pending.metrics) {
    auto& s = out.metrics[slot[std::min<std::size_t>(r.name_id, unknown)]];
    s.steps.push_back(r.step);
    s.times.push_back(r.clock == kStamped ? calibration_.to_wall(r.when) : std::bit_cast<double>(r.when));
    s.values.push_back(r.value);
  }
  out.spans = std::move(pending.spans);
  out.events = std::move(pending.events);
  out.logs = std::move(pending.logs);
  out.progress = pending.progress;
  out.exit = pending.exit;

  std::string frame = telemetry::encode(out);
  zmq::message_t message(frame.data(), frame.size());
  // An exit report must not be lost to a momentarily full queue: wait for it briefly.
  auto flags = out.exit ? zmq::send_flags::none : zmq::send_flags::dontwait;
  if (out.exit) transport_->socket.set(zmq::sockopt::sndtimeo, 2000);
  auto result = transport_->socket.send(message, flags);
  return result.has_value();
}

}  // namespace orrery::runtime
