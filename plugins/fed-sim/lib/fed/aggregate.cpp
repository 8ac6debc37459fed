#include "fed/aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "fed/choice.hpp"
#include "fed/flag_aggregator.hpp"

namespace orrery::fed {

AggregatorKind parse_aggregator(std::string_view name) {
  return parse_choice<AggregatorKind>("aggregator", name,
                                      {{"mean", AggregatorKind::mean},
                                       {"median", AggregatorKind::median},
                                       {"trimmed_mean", AggregatorKind::trimmed_mean},
                                       {"krum", AggregatorKind::krum},
                                       {"flag", AggregatorKind::flag},
                                       {"bristle", AggregatorKind::bristle}});
}

std::vector<float> mean_rule(const UpdateView& u, std::span<const double> weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> acc(u.params, 0.0);
  for (std::size_t k = 0; k < u.clients(); ++k) {
    const auto r = u.row(k);
    const double w = weights[k] / total;
    for (std::size_t i = 0; i < u.params; ++i) acc[i] += w * r[i];
  }
  return std::vector<float>(acc.begin(), acc.end());
}

namespace {

// Calls fn(column values, i) for each coordinate i with the n values of that coordinate.
template <class Fn>
void by_column(const UpdateView& u, Fn fn) {
  std::vector<float> col(u.clients());
  for (std::size_t i = 0; i < u.params; ++i) {
    for (std::size_t k = 0; k < u.clients(); ++k) col[k] = u.data[k * u.params + i];
    fn(col, i);
  }
}

}  // namespace

std::vector<float> median_rule(const UpdateView& u) {
  std::vector<float> out(u.params);
  const std::size_t n = u.clients(), mid = n / 2;
  by_column(u, [&](std::vector<float>& col, std::size_t i) {
    std::nth_element(col.begin(), col.begin() + static_cast<std::ptrdiff_t>(mid), col.end());
    const double upper = col[mid];
    if (n % 2) {
      out[i] = static_cast<float>(upper);
    } else {
      const double lower = *std::max_element(col.begin(), col.begin() + static_cast<std::ptrdiff_t>(mid));
      out[i] = static_cast<float>((lower + upper) / 2);
    }
  });
  return out;
}

std::vector<float> trimmed_mean_rule(const UpdateView& u, double trim_fraction) {
  const std::size_t n = u.clients();
  const auto cut = static_cast<std::size_t>(std::floor(trim_fraction * static_cast<double>(n)));
  if (2 * cut >= n)
    throw std::invalid_argument("trimmed_mean drops " + std::to_string(cut) + " updates at each end of " +
                                std::to_string(n) + ": none would be left (lower trim_fraction or sample more clients)");
  std::vector<float> out(u.params);
  by_column(u, [&](std::vector<float>& col, std::size_t i) {
    std::sort(col.begin(), col.end());
    double s = 0;
    for (std::size_t k = cut; k < n - cut; ++k) s += col[k];
    out[i] = static_cast<float>(s / static_cast<double>(n - 2 * cut));
  });
  return out;
}

Aggregate krum_rule(const UpdateView& u, std::size_t byzantine, std::size_t select) {
  const std::size_t n = u.clients();
  if (n < 2 * byzantine + 3)
    throw std::invalid_argument("krum needs more than 2f + 2 updates per round: " + std::to_string(n) +
                                " updates with f = " + std::to_string(byzantine) +
                                " (sample more clients or lower byzantine_fraction)");
  if (select < 1 || select > n - byzantine)
    throw std::invalid_argument("krum_select must be between 1 and n - f = " + std::to_string(n - byzantine));

  // Pairwise squared distances, (n, n) symmetric.
  std::vector<double> dist(n * n, 0.0);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b) {
      const auto ra = u.row(a), rb = u.row(b);
      double s = 0;
      for (std::size_t i = 0; i < u.params; ++i) {
        const double d = static_cast<double>(ra[i]) - rb[i];
        s += d * d;
      }
      dist[a * n + b] = dist[b * n + a] = s;
    }
  // Score: sum over the n - f - 2 closest others.
  const std::size_t neighbours = n - byzantine - 2;
  std::vector<double> score(n), row(n - 1);
  for (std::size_t a = 0; a < n; ++a) {
    std::size_t j = 0;
    for (std::size_t b = 0; b < n; ++b)
      if (b != a) row[j++] = dist[a * n + b];
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(neighbours), row.end());
    score[a] = std::accumulate(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(neighbours), 0.0);
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Ties broken by client order, so the choice is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });

  Aggregate out;
  out.selected.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(select));
  std::sort(out.selected.begin(), out.selected.end());
  std::vector<double> acc(u.params, 0.0);
  for (std::size_t k : out.selected) {
    const auto r = u.row(k);
    for (std::size_t i = 0; i < u.params; ++i) acc[i] += r[i];
  }
  out.update.resize(u.params);
  for (std::size_t i = 0; i < u.params; ++i) out.update[i] = static_cast<float>(acc[i] / static_cast<double>(select));
  return out;
}

Aggregate aggregate(const AggregatorConfig& cfg, const UpdateView& updates, std::span<const double> weights) {
  if (updates.clients() == 0) throw std::invalid_argument("no updates to aggregate");
  switch (cfg.kind) {
    case AggregatorKind::mean: return {mean_rule(updates, weights), {}};
    case AggregatorKind::median: return {median_rule(updates), {}};
    case AggregatorKind::trimmed_mean: return {trimmed_mean_rule(updates, cfg.trim_fraction), {}};
    case AggregatorKind::krum: return krum_rule(updates, cfg.byzantine, cfg.krum_select);
    case AggregatorKind::flag: return {flag_rule(updates, cfg.flag_dims).update, {}};
    case AggregatorKind::bristle: throw std::invalid_argument("bristle is a gossip rule of dpsgd, not a server's");
  }
  throw std::logic_error("unhandled aggregator");
}

}  // namespace orrery::fed
