// Server-side aggregation rules over one round's client updates.
//
//   mean         : FedAvg's average weighted by each client's sample count.
//   median       : coordinate-wise median (Yin et al., 2018).
//   trimmed_mean : per coordinate, drop the trim fraction of largest and of
//                  smallest values, average the rest (Yin et al., 2018).
//   krum         : Krum / Multi-Krum (Blanchard et al., 2017): score each update
//                  by the summed squared distances to its n - f - 2 nearest
//                  others; average the m best (m = 1 is Krum).
//   flag         : a Flag Aggregator-style subspace rule (flag_aggregator.hpp).
//   bristle      : decentralized only: D-PSGD's robust gossip (bristle.hpp), not a server rule.
//
// Every rule reads the rows in the given (client-id) order and accumulates in
// double, so its result depends on the updates alone.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "fed/updates.hpp"

namespace orrery::fed {

enum class AggregatorKind { mean, median, trimmed_mean, krum, flag, bristle };
AggregatorKind parse_aggregator(std::string_view name);   // throws std::invalid_argument

struct AggregatorConfig {
  AggregatorKind kind = AggregatorKind::mean;
  double trim_fraction = 0.2;     // trimmed_mean: share dropped at each end
  std::size_t byzantine = 0;      // krum: f, the number of attackers it must tolerate
  std::size_t krum_select = 1;    // krum: m, how many best-scored updates to average
  std::size_t flag_dims = 3;      // flag: k, the subspace's dimension
};

struct Aggregate {
  std::vector<float> update;             // (params)
  std::vector<std::size_t> selected;     // krum: rows chosen, ascending; empty for the others
};

// weights: one per row (sample counts), used by mean only.
// Throws std::invalid_argument when the rule cannot work on this many rows
// (krum needs n > 2f + 2, trimmed mean must keep at least one value).
Aggregate aggregate(const AggregatorConfig& cfg, const UpdateView& updates, std::span<const double> weights);

std::vector<float> mean_rule(const UpdateView& u, std::span<const double> weights);
std::vector<float> median_rule(const UpdateView& u);
std::vector<float> trimmed_mean_rule(const UpdateView& u, double trim_fraction);
Aggregate krum_rule(const UpdateView& u, std::size_t byzantine, std::size_t select);

}  // namespace orrery::fed
