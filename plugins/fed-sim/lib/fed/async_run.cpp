#include "fed/async_run.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace orrery::fed {

AsyncRun::AsyncRun(Simulation& sim) : sim_(sim), participation_(sim.clients(), 0) {
  if (sim.cfg.algorithm == Algorithm::fedcompass) {
    CompassParams p;
    p.q_max = sim.cfg.max_local_steps;
    p.q_min_ratio = sim.cfg.min_steps_ratio;
    p.latest_factor = sim.cfg.latest_time_factor;
    compass_.emplace(p, sim.clients());
  } else {
    idle_.resize(sim.clients());
    std::iota(idle_.begin(), idle_.end(), std::size_t{0});
  }
}

void AsyncRun::dispatch(std::size_t client, double now, std::int64_t steps) {
  Flight f;
  f.seq = next_seq_++;
  f.client = client;
  f.base = version_;
  f.steps = steps;
  f.start = now;
  const auto rows = static_cast<double>(sim_.partition.size(client));
  const double samples = steps > 0 ? static_cast<double>(steps) * std::min(rows, static_cast<double>(sim_.cfg.batch_size))
                                   : static_cast<double>(sim_.cfg.local_epochs) * rows;
  f.planned = client_seconds(sim_, client, samples);
  f.finish = now + f.planned;
  ++in_flight_;
  if (sim_.cfg.outage.crash_prob > 0) {
    Rng rng(static_cast<std::uint64_t>(sim_.cfg.seed), Stream::flight_failure, f.seq);
    if (rng.uniform() < sim_.cfg.outage.crash_prob) {
      f.end = FlightEnd::crash;   // never trained: its update never arrives
      f.finish = now + rng.uniform() * f.planned;
      queue_.push(f);
      return;
    }
  }
  if (!versions_.count(version_)) versions_.emplace(version_, sim_.global);
  pending_.push_back(f);
  queue_.push(f);
}

void AsyncRun::handle_outage(const Flight& f, const VersionFn& on_version) {
  const Config& c = sim_.cfg;
  if (f.end == FlightEnd::crash) {
    ++crashes_;
    --in_flight_;
    Flight back = f;
    back.seq = next_seq_++;
    back.end = FlightEnd::rejoin;
    back.finish = f.finish + static_cast<double>(c.outage.crash_rounds) * f.planned;
    queue_.push(back);
    if (compass_) {
      const std::int64_t g = compass_->drop(f.client);
      if (g >= 0 && compass_->complete(g)) close_group(g, f.finish, on_version);
    } else if (!idle_.empty() && version_ < c.rounds) {
      dispatch_idle(f.finish);   // keeps `concurrency` in flight
    }
    return;
  }
  if (version_ >= c.rounds) return;
  if (compass_) {
    dispatch(f.client, f.finish, compass_->assign(f.client, f.finish));
    for (const Deadline& d : compass_->take_new_deadlines()) deadlines_.push(d);
    return;
  }
  idle_.push_back(f.client);
  if (in_flight_ < static_cast<std::size_t>(c.concurrency)) dispatch_idle(f.finish);
}

void AsyncRun::dispatch_idle(double now) {
  // A uniformly drawn idle client; the draw depends on (seed, dispatch number) only.
  Rng rng(static_cast<std::uint64_t>(sim_.cfg.seed), Stream::sample, next_seq_, 1);
  const auto pick = static_cast<std::size_t>(rng.below(idle_.size()));
  const std::size_t client = idle_[pick];
  idle_[pick] = idle_.back();
  idle_.pop_back();
  dispatch(client, now, 0);
}

void AsyncRun::train_pending(const WaveFn& wave) {
  const std::size_t np = sim_.global.size();
  std::vector<ClientRecord> records(pending_.size());
  std::vector<float> updates(pending_.size() * np);
  wave(pending_, records, updates);
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    Arrived& a = trained_[pending_[i].seq];
    a.update.assign(updates.begin() + static_cast<std::ptrdiff_t>(i * np),
                    updates.begin() + static_cast<std::ptrdiff_t>((i + 1) * np));
    a.samples = records[i].samples;
    a.loss = records[i].loss;
    a.byzantine = records[i].byzantine != 0;
  }
  pending_.clear();
  versions_.clear();   // no untrained flight needs an old model any more
  ++waves_;
}

void AsyncRun::make_version(const std::vector<Arrived>& folded, const std::vector<double>& coefficients, double time,
                            std::uint64_t last_seq, const VersionFn& on_version) {
  const std::size_t np = sim_.global.size();
  std::vector<double> sum(np, 0.0);
  VersionMade made;
  for (std::size_t k = 0; k < folded.size(); ++k) {
    const Arrived& a = folded[k];
    const double c = coefficients[k] * a.weight;
    for (std::size_t i = 0; i < np; ++i) sum[i] += c * a.update[i];
    made.mean_staleness += a.staleness;
    made.train_loss += a.loss;
    if (a.byzantine) ++made.byzantine;
  }
  for (std::size_t i = 0; i < np; ++i) sim_.global[i] += static_cast<float>(sum[i]);
  made.version = ++version_;
  made.time = time;
  made.last_seq = last_seq;
  made.updates = folded.size();
  made.mean_staleness /= static_cast<double>(folded.size());
  made.train_loss /= static_cast<double>(folded.size());
  on_version(made);
}

double AsyncRun::compass_coefficient(const Arrived& a) const {
  // The paper weights every client's update by alpha s(staleness) n_i / n, in a group or
  // alone, as its FedAsync does. Ours folds each FedAsync arrival in with alpha s (Xie et
  // al.'s form), i.e. N times the paper's n_i / n for equal shares; FedCompass gets the
  // same scale, alpha s n_i / mean(n), so both take equal steps per unit of client work.
  const double mean_samples = static_cast<double>(sim_.data.train.y.size()) / static_cast<double>(sim_.clients());
  return sim_.cfg.async_alpha * a.samples / mean_samples;
}

void AsyncRun::close_group(std::int64_t g, double now, const VersionFn& on_version) {
  auto it = group_updates_.find(g);
  if (it != group_updates_.end()) {
    // The group's arrivals and the late updates waiting in the general buffer, together.
    std::vector<Arrived> folded = std::move(it->second);
    group_updates_.erase(it);
    for (Arrived& a : late_) folded.push_back(std::move(a));
    late_.clear();
    std::vector<double> coefficients;
    for (const Arrived& a : folded) coefficients.push_back(compass_coefficient(a));
    make_version(folded, coefficients, now, 0, on_version);
  }
  for (std::size_t client : compass_->close(g))
    if (version_ < sim_.cfg.rounds) dispatch(client, now, compass_->assign(client, now));
  for (const Deadline& d : compass_->take_new_deadlines()) deadlines_.push(d);
}

void AsyncRun::run(const WaveFn& wave, const VersionFn& on_version) {
  const Config& c = sim_.cfg;
  if (compass_) {
    // Every client starts with Q_max steps and no group: its first arrival measures its speed.
    for (std::size_t k = 0; k < sim_.clients(); ++k) dispatch(k, 0.0, compass_->q_max());
  } else {
    const auto concurrency = std::min(static_cast<std::size_t>(c.concurrency), sim_.clients());
    for (std::size_t i = 0; i < concurrency; ++i) dispatch_idle(0.0);
  }

  while (version_ < c.rounds && !queue_.empty()) {
    // A group's deadline before the next arrival (or at the same time: late means at or after it).
    if (!deadlines_.empty() && deadlines_.top().first <= queue_.top().finish) {
      const auto [time, g] = deadlines_.top();
      deadlines_.pop();
      if (compass_->open(g)) close_group(g, time, on_version);
      continue;
    }
    if (queue_.top().end != FlightEnd::arrival) {
      const Flight f = queue_.top();
      queue_.pop();
      handle_outage(f, on_version);
      continue;
    }
    if (!trained_.count(queue_.top().seq)) train_pending(wave);
    const Flight f = queue_.top();
    queue_.pop();
    --in_flight_;
    auto it = trained_.find(f.seq);
    Arrived a = std::move(it->second);
    trained_.erase(it);

    const auto staleness = static_cast<std::size_t>(version_ - f.base);
    if (staleness_counts_.size() <= staleness) staleness_counts_.resize(staleness + 1, 0);
    ++staleness_counts_[staleness];
    ++participation_[f.client];
    a.staleness = static_cast<double>(staleness);
    a.weight = std::pow(1.0 + a.staleness, -c.staleness_exponent);

    if (compass_) {
      const std::int64_t g = compass_->arrive(f.client, f.start, f.finish, f.steps);
      if (g < 0) {
        if (g == CompassScheduler::kUngrouped)
          make_version({a}, {compass_coefficient(a)}, f.finish, f.seq, on_version);
        else
          late_.push_back(std::move(a));
        if (version_ < c.rounds) dispatch(f.client, f.finish, compass_->assign(f.client, f.finish));
        for (const Deadline& d : compass_->take_new_deadlines()) deadlines_.push(d);
      } else {
        group_updates_[g].push_back(std::move(a));
        if (compass_->complete(g)) close_group(g, f.finish, on_version);
      }
      continue;
    }
    if (c.algorithm == Algorithm::fedbuff) {
      buffer_.push_back(std::move(a));
      if (buffer_.size() == static_cast<std::size_t>(c.buffer_size)) {
        const std::vector<double> coefficients(buffer_.size(), c.server_lr / static_cast<double>(buffer_.size()));
        make_version(buffer_, coefficients, f.finish, f.seq, on_version);
        buffer_.clear();
      }
    } else {
      make_version({a}, {c.async_alpha}, f.finish, f.seq, on_version);
    }
    idle_.push_back(f.client);
    if (version_ < c.rounds) dispatch_idle(f.finish);
  }
}

}  // namespace orrery::fed
