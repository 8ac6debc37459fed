#include "agent/ingest.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::agent {

namespace {
constexpr std::size_t kTailLines = 40;
// A step waits this many newer steps for slower ranks before it is reduced over the ranks seen.
constexpr std::size_t kMaxOpenSteps = 4096;
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
  if (b.hello && b.source == "supervisor") worker_pids_[b.rank] = b.hello->pid;
  if (b.hello && b.source == "worker" && !worker_pids_.count(b.rank)) worker_pids_[b.rank] = b.hello->pid;

  for (const auto& m : b.metrics) {
    if (m.values.empty()) continue;
    if (!writer_.append_series("metrics", b.rank, m.name, m.steps, m.times, m.values)) continue;
    points_ += m.values.size();
    for (std::size_t i = 0; i < m.values.size(); ++i) reduce(m.name, m.steps[i], m.times[i], m.values[i]);
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

void Ingest::reduce(const std::string& name, std::int64_t step, double time, double value) {
  auto& open = reductions_[name];
  auto [it, inserted] = open.try_emplace(step);
  auto& r = it->second;
  if (inserted) {
    r.min = r.max = value;
  } else {
    r.min = std::min(r.min, value);
    r.max = std::max(r.max, value);
  }
  r.sum += value;
  r.time = std::max(r.time, time);
  if (++r.count >= ranks_) {
    writer_.append_reduced(name, step, r.time, r.sum / r.count, r.min, r.max, r.count);
    open.erase(it);
  }
  while (open.size() > kMaxOpenSteps) {
    auto oldest = open.begin();
    const auto& o = oldest->second;
    writer_.append_reduced(name, oldest->first, o.time, o.sum / o.count, o.min, o.max, o.count);
    open.erase(oldest);
  }
}

void Ingest::flush_logs() {
  for (auto& [rank, f] : logs_)
    if (f) std::fflush(f);
}

void Ingest::finish() {
  for (auto& [name, open] : reductions_)
    for (auto& [step, r] : open) writer_.append_reduced(name, step, r.time, r.sum / r.count, r.min, r.max, r.count);
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
