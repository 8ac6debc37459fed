#include "fed/async_run.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace orrery::fed {

AsyncRun::AsyncRun(Simulation& sim) : sim_(sim) {
  idle_.resize(sim.clients());
  std::iota(idle_.begin(), idle_.end(), std::size_t{0});
}

void AsyncRun::dispatch(double now) {
  // A uniformly drawn idle client; the draw depends on (seed, dispatch number) only.
  Rng rng(static_cast<std::uint64_t>(sim_.cfg.seed), Stream::sample, next_seq_, 1);
  const auto pick = static_cast<std::size_t>(rng.below(idle_.size()));
  const std::size_t client = idle_[pick];
  idle_[pick] = idle_.back();
  idle_.pop_back();

  Flight f;
  f.seq = next_seq_++;
  f.client = client;
  f.base = version_;
  f.start = now;
  const double samples = static_cast<double>(sim_.cfg.local_epochs) * static_cast<double>(sim_.partition.size(client));
  f.finish = now + client_seconds(sim_, client, samples);
  if (!versions_.count(version_)) versions_.emplace(version_, sim_.global);
  pending_.push_back(f);
  queue_.push(f);
}

void AsyncRun::train_pending(const WaveFn& wave) {
  const std::size_t np = sim_.global.size();
  std::vector<ClientRecord> records(pending_.size());
  std::vector<float> updates(pending_.size() * np);
  wave(pending_, records, updates);
  for (std::size_t i = 0; i < pending_.size(); ++i)
    trained_[pending_[i].seq] = {records[i], {updates.begin() + static_cast<std::ptrdiff_t>(i * np),
                                              updates.begin() + static_cast<std::ptrdiff_t>((i + 1) * np)}};
  pending_.clear();
  versions_.clear();   // no untrained flight needs an old model any more
  ++waves_;
}

void AsyncRun::run(const WaveFn& wave, const VersionFn& on_version) {
  const Config& c = sim_.cfg;
  const std::size_t np = sim_.global.size();
  const bool buffered = c.algorithm == Algorithm::fedbuff;
  const std::size_t buffer_size = buffered ? static_cast<std::size_t>(c.buffer_size) : 1;
  const auto concurrency = std::min(static_cast<std::size_t>(c.concurrency), sim_.clients());
  for (std::size_t i = 0; i < concurrency; ++i) dispatch(0.0);

  std::vector<double> buffer(np, 0.0);
  VersionMade made;
  double staleness_sum = 0, loss_sum = 0;
  while (version_ < c.rounds) {
    if (!trained_.count(queue_.top().seq)) train_pending(wave);
    const Flight f = queue_.top();
    queue_.pop();
    auto it = trained_.find(f.seq);
    const Trained t = std::move(it->second);
    trained_.erase(it);

    const auto staleness = static_cast<std::size_t>(version_ - f.base);
    if (staleness_counts_.size() <= staleness) staleness_counts_.resize(staleness + 1, 0);
    ++staleness_counts_[staleness];
    const double weight = std::pow(1.0 + static_cast<double>(staleness), -c.staleness_exponent);
    for (std::size_t i = 0; i < np; ++i) buffer[i] += weight * t.update[i];
    ++made.updates;
    staleness_sum += static_cast<double>(staleness);
    loss_sum += t.record.loss;
    if (t.record.byzantine != 0) ++made.byzantine;

    if (made.updates == buffer_size) {
      const double scale = buffered ? c.server_lr / static_cast<double>(buffer_size) : c.async_alpha;
      for (std::size_t i = 0; i < np; ++i) sim_.global[i] += static_cast<float>(scale * buffer[i]);
      std::fill(buffer.begin(), buffer.end(), 0.0);
      made.version = ++version_;
      made.time = f.finish;
      made.last_seq = f.seq;
      made.mean_staleness = staleness_sum / static_cast<double>(made.updates);
      made.train_loss = loss_sum / static_cast<double>(made.updates);
      on_version(made);
      made = {};
      staleness_sum = loss_sum = 0;
    }
    idle_.push_back(f.client);
    if (version_ < c.rounds) dispatch(f.finish);
  }
}

}  // namespace orrery::fed
