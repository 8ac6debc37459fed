#include "agent/ingest.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace orrery::agent {

namespace {
constexpr std::size_t kTailLines = 40;
// A step waits for slower ranks at most this many newer steps, and at most kMaxWaitSeconds,
// before it is reduced over the ranks seen (a metric only some ranks log is written then).
// One frame from a busy rank carries tens of thousands of steps of a name, so the window must
// hold more than a frame's worth, or nearly every step is written before the other ranks' frames
// arrive (as a row of count 1, and again for each later rank).
constexpr std::size_t kMaxOpenSteps = std::size_t{1} << 16;
constexpr double kMaxWaitSeconds = 5.0;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Ingest::Ingest(runfiles::RunH5Writer& writer, std::filesystem::path logs_dir, int ranks)
    : writer_(writer), logs_dir_(std::move(logs_dir)), ranks_(std::max(ranks, 1)) {
  std::filesystem::create_directories(logs_dir_);
  for (int r = 0; r < ranks_; ++r) log_file(r);   // every rank has a log, even a silent one
}

Ingest::~Ingest() {
  for (auto& [rank, f] : logs_) std::fclose(f);
}

std::FILE* Ingest::log_file(int rank) {
  auto it = logs_.find(rank);
  if (it != logs_.end()) return it->second;
  auto path = logs_dir_ / ("rank-" + std::to_string(rank) + ".log");
  std::FILE* f = std::fopen(path.c_str(), "ae");
  logs_[rank] = f;
  return f;
}

void Ingest::accept(const telemetry::Batch& b) {
  if (b.rank >= ranks_) {   // a rank that cannot exist in this job: refuse the frame
    ++rejected_;
    return;
  }
  dropped_by_sender_[{b.rank, b.source}] = b.dropped_total;
  if (!b.metrics.empty()) clock_ = steady_seconds();
  if (b.hello && b.source == "supervisor") worker_pids_[b.rank] = b.hello->pid;
  if (b.hello && b.source == "worker" && !worker_pids_.count(b.rank)) worker_pids_[b.rank] = b.hello->pid;

  for (const auto& m : b.metrics) {
    if (m.values.empty()) continue;
    if (!writer_.append_series("metrics", b.rank, m.name, m.steps, m.times, m.values)) continue;
    points_ += m.values.size();
    reduce_series(m.name, reductions_[m.name], m);
    if (b.rank == 0 || !last_metrics_.contains(m.name)) {
      double v = m.values.back();
      last_metrics_[m.name] = {{"step", m.steps.back()}, {"value", std::isfinite(v) ? nlohmann::json(v) : nlohmann::json()}};
    }
  }
  if (!b.spans.empty()) {
    std::vector<runfiles::SpanRecord> spans;
    spans.reserve(b.spans.size());
    for (const auto& s : b.spans) spans.push_back({s.kind, s.name, s.step, s.start, s.end});
    writer_.append_spans(b.rank, spans);
  }
  for (const auto& e : b.events) writer_.append_event({e.time, b.rank, e.step, e.kind, e.text});
  if (!b.logs.empty()) {
    std::FILE* f = log_file(b.rank);
    auto& tail = tails_[b.rank];
    for (const auto& l : b.logs) {
      if (f) {
        std::fwrite(l.text.data(), 1, l.text.size(), f);
        std::fputc('\n', f);
      }
      tail.push_back(l.text);
      if (tail.size() > kTailLines) tail.pop_front();
    }
  }
  if (b.progress) progress_[b.rank] = *b.progress;
  if (b.exit) exits_.push_back({b.rank, *b.exit});
}

void Ingest::add_system_sample(int rank, std::string_view name, double time, std::int64_t step, double value) {
  writer_.append_series("system", rank, name, std::span(&step, 1), std::span(&time, 1), std::span(&value, 1));
}

void Ingest::emit(const std::string& name, Reduction& r) {
  writer_.append_reduced(name, r.step, r.time, r.sum / r.count, r.min, r.max, r.count);
  r.count = 0;
}

void Ingest::reduce_series(const std::string& name, OpenSteps& open, const telemetry::MetricSeries& m) {
  auto& q = open.steps;
  for (std::size_t i = 0; i < m.values.size(); ++i) {
    const std::int64_t step = m.steps[i];
    Reduction* r = nullptr;
    std::map<std::int64_t, Reduction>::iterator other;
    bool in_others = false;
    if (q.empty() || step > q.back().step) {
      q.push_back({step, 0, 0, 0, 0, 0, clock_});
      open.cursor = q.size() - 1;
      r = &q.back();
    } else if (open.cursor < q.size() && q[open.cursor].step == step) {
      r = &q[open.cursor];
    } else if (open.cursor + 1 < q.size() && q[open.cursor + 1].step == step) {
      r = &q[++open.cursor];
    } else if (step < q.front().step) {
      // Older than every open step: its window has passed (the step was written, or its
      // other ranks never came). It is written over the ranks seen: this point alone.
      Reduction late{step, m.values[i], m.values[i], m.values[i], m.times[i], 1, clock_};
      emit(name, late);
      continue;
    } else {
      auto it = std::lower_bound(q.begin(), q.end(), step, [](const Reduction& x, std::int64_t s) { return x.step < s; });
      if (it != q.end() && it->step == step) {
        open.cursor = static_cast<std::size_t>(it - q.begin());
        r = &*it;
      } else {
        other = open.others.try_emplace(step, Reduction{step, 0, 0, 0, 0, 0, clock_}).first;
        r = &other->second;
        in_others = true;
      }
    }
    const double value = m.values[i];
    if (r->count == 0) {   // new, or written already (a later point for the same step starts a new row)
      r->opened = clock_;
      r->sum = 0;
      r->min = r->max = value;
      r->time = m.times[i];
    } else {
      r->min = std::min(r->min, value);
      r->max = std::max(r->max, value);
      r->time = std::max(r->time, m.times[i]);
    }
    r->sum += value;
    if (++r->count >= ranks_) {
      emit(name, *r);
      if (in_others) open.others.erase(other);
    }
  }
  // Written steps leave from the front; once the window is full, the oldest open steps are
  // written over the ranks seen.
  std::size_t popped = 0;
  while (!q.empty() && (q.front().count == 0 || q.size() > kMaxOpenSteps)) {
    if (q.front().count > 0) emit(name, q.front());
    q.pop_front();
    ++popped;
  }
  open.cursor = open.cursor > popped ? open.cursor - popped : 0;
  while (open.others.size() > kMaxOpenSteps) {
    emit(name, open.others.begin()->second);
    open.others.erase(open.others.begin());
  }
}

void Ingest::emit_waiting(double cutoff) {
  for (auto& [name, open] : reductions_) {
    auto& q = open.steps;
    std::size_t popped = 0;
    while (!q.empty() && (q.front().count == 0 || q.front().opened < cutoff)) {
      if (q.front().count > 0) emit(name, q.front());
      q.pop_front();
      ++popped;
    }
    open.cursor = open.cursor > popped ? open.cursor - popped : 0;
    for (auto it = open.others.begin(); it != open.others.end();) {
      if (it->second.opened < cutoff) {
        emit(name, it->second);
        it = open.others.erase(it);
      } else {
        ++it;
      }
    }
  }
}

void Ingest::flush_logs() {
  emit_waiting(steady_seconds() - kMaxWaitSeconds);
  for (auto& [rank, f] : logs_)
    if (f) std::fflush(f);
}

void Ingest::finish() {
  for (auto& [name, open] : reductions_) {
    for (auto& r : open.steps)
      if (r.count > 0) emit(name, r);
    for (auto& [step, r] : open.others)
      if (r.count > 0) emit(name, r);
  }
  reductions_.clear();
  flush_logs();
}

std::uint64_t Ingest::dropped() const {
  std::uint64_t total = 0;
  for (const auto& [sender, n] : dropped_by_sender_) total += n;
  return total;
}

std::optional<telemetry::Progress> Ingest::progress() const {
  if (progress_.empty()) return std::nullopt;
  if (auto it = progress_.find(0); it != progress_.end()) return it->second;
  return progress_.begin()->second;
}

std::vector<std::string> Ingest::log_tail(int rank) const {
  auto it = tails_.find(rank);
  if (it == tails_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace orrery::agent
