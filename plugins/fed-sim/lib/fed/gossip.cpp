#include "fed/gossip.hpp"

#include <algorithm>
#include <cmath>

#include "fed/bristle.hpp"

namespace orrery::fed {

namespace {

// Mean and variance of a span, in double.
std::pair<double, double> moments(std::span<const float> v) {
  double mean = 0, sq = 0;
  for (float x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (float x : v) sq += (x - mean) * (x - mean);
  return {mean, sq / static_cast<double>(v.size())};
}

}  // namespace

Gossip::Gossip(Simulation& sim) : sim_(sim), blocks_(sim.model->weight_blocks()) {
  const std::size_t n = nodes(), np = params();
  models_.resize(n * np);
  for (std::size_t k = 0; k < n; ++k) {
    Rng init(static_cast<std::uint64_t>(sim.cfg.seed), Stream::init, k + 1);   // independent per node
    sim.model->init(std::span(models_).subspan(k * np, np), init);
  }
}

void Gossip::train(std::span<const std::size_t> nodes_to_train, std::int64_t round, std::span<float> trained,
                   std::span<ClientRecord> records, TrainScratch& scratch, const std::vector<bool>& down) {
  const std::size_t np = params();
  std::vector<float> update(np);
  for (std::size_t i = 0; i < nodes_to_train.size(); ++i) {
    const std::size_t k = nodes_to_train[i];
    const auto own = model(k);
    auto out = trained.subspan(i * np, np);
    if (!down.empty() && down[k]) {
      // A crashed node does nothing; its record weighs nothing in the round's figures.
      std::copy(own.begin(), own.end(), out.begin());
      records[i] = {static_cast<double>(k), 0, 0, 0, 0};
      continue;
    }
    records[i] = train_client(sim_, k, own, static_cast<std::uint64_t>(round), update, scratch);
    for (std::size_t j = 0; j < np; ++j) out[j] = own[j] + update[j];
  }
}

void Gossip::mix(std::span<const float> trained, const Topology& graph) {
  const std::size_t np = params();
  std::vector<double> acc(np);
  for (std::size_t k = 0; k < nodes(); ++k) {
    std::fill(acc.begin(), acc.end(), 0.0);
    // Bristle drops the neighbours whose models are far or fit this node's data badly.
    const auto weights = sim_.cfg.aggregator == AggregatorKind::bristle ? bristle_weights(sim_, k, trained, graph.weights(k))
                                                                        : graph.weights(k);
    for (const auto& [j, w] : weights) {
      const float* x = trained.data() + j * np;
      for (std::size_t p = 0; p < np; ++p) acc[p] += w * x[p];
    }
    float* out = models_.data() + k * np;
    for (std::size_t p = 0; p < np; ++p) out[p] = static_cast<float>(acc[p]);
    if (!sim_.cfg.variance_correction) continue;
    for (const auto& [offset, size] : blocks_) {
      double target = 0;
      for (const auto& [j, w] : weights) target += w * moments(trained.subspan(j * np + offset, size)).second;
      const std::span<float> block(out + offset, size);
      const auto [mean, var] = moments(block);
      if (var <= 0) continue;
      const double scale = std::sqrt(target / var);
      for (float& x : block) x = static_cast<float>(mean + (x - mean) * scale);
    }
  }
}

std::vector<float> Gossip::average() const {
  const std::size_t np = params();
  std::vector<double> acc(np, 0.0);
  for (std::size_t k = 0; k < nodes(); ++k)
    for (std::size_t p = 0; p < np; ++p) acc[p] += models_[k * np + p];
  std::vector<float> out(np);
  for (std::size_t p = 0; p < np; ++p) out[p] = static_cast<float>(acc[p] / static_cast<double>(nodes()));
  return out;
}

double Gossip::consensus_distance() const {
  const auto avg = average();
  double d = 0;
  for (std::size_t k = 0; k < nodes(); ++k) {
    const auto m = model(k);
    for (std::size_t p = 0; p < params(); ++p) d += (m[p] - avg[p]) * (m[p] - avg[p]);
  }
  return d / static_cast<double>(nodes());
}

double activation_variance(Model& model, std::span<const float> params, const Dataset& data, std::size_t rows) {
  const std::size_t n = std::min(rows, data.rows());
  std::vector<float> z(static_cast<std::size_t>(data.classes)), all;
  all.reserve(n * z.size());
  for (std::size_t i = 0; i < n; ++i) {
    model.logits(params, data.row(i), z);
    all.insert(all.end(), z.begin(), z.end());
  }
  return moments(all).second;
}

}  // namespace orrery::fed
