#include "fed/bristle.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::fed {

namespace {

// Mean cross-entropy of params on the first `limit` of `rows` of the training set.
double loss_on(Simulation& sim, std::span<const float> params, std::span<const std::uint32_t> rows, std::size_t limit) {
  const Dataset& d = sim.data.train;
  std::vector<float> z(static_cast<std::size_t>(d.classes));
  const std::size_t n = std::min(limit, rows.size());
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sim.model->logits(params, d.row(rows[i]), z);
    const float top = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (float v : z) sum += std::exp(static_cast<double>(v - top));
    total += std::log(sum) + top - z[static_cast<std::size_t>(d.y[rows[i]])];
  }
  return n ? total / static_cast<double>(n) : 0;
}

}  // namespace

std::vector<std::pair<std::size_t, double>> bristle_weights(Simulation& sim, std::size_t node,
                                                            std::span<const float> trained,
                                                            const std::vector<std::pair<std::size_t, double>>& mh,
                                                            const BristleParams& p) {
  const std::size_t np = sim.global.size();
  const auto model_of = [&](std::size_t k) { return trained.subspan(k * np, np); };
  const auto own = model_of(node);
  std::vector<double> dist;
  for (const auto& [j, w] : mh) {
    if (j == node) continue;
    double s = 0;
    const auto x = model_of(j);
    for (std::size_t i = 0; i < np; ++i) s += (static_cast<double>(x[i]) - own[i]) * (static_cast<double>(x[i]) - own[i]);
    dist.push_back(std::sqrt(s));
  }
  std::vector<double> sorted = dist;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.empty() ? 0 : sorted[(sorted.size() - 1) / 2];
  const auto rows = sim.partition.of(node);
  const double own_loss = loss_on(sim, own, rows, p.rows);

  std::vector<std::pair<std::size_t, double>> kept;
  double self = 0, total = 0;
  std::size_t at = 0;
  for (const auto& [j, w] : mh) {
    if (j == node) {
      self += w;
      continue;
    }
    const double d = dist[at++];
    const bool near = d <= p.distance_factor * median;
    if (near && loss_on(sim, model_of(j), rows, p.rows) <= own_loss + p.loss_margin) {
      kept.emplace_back(j, w);
      total += w;
    } else {
      self += w;   // a dropped neighbour's weight stays with the node
    }
  }
  total += self;
  std::vector<std::pair<std::size_t, double>> out{{node, self / total}};   // self first, as Topology::weights
  for (const auto& [j, w] : kept) out.emplace_back(j, w / total);
  return out;
}

}  // namespace orrery::fed
