#include "fed/partition.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "fed/choice.hpp"
#include "fed/rng.hpp"

namespace orrery::fed {

namespace {

// Dirichlet(alpha, ..., alpha) over n entries, via normalised Gamma draws.
std::vector<double> dirichlet(Rng& rng, std::size_t n, double alpha) {
  std::vector<double> p(n);
  double sum = 0;
  for (auto& v : p) sum += v = rng.gamma(alpha);
  if (sum <= 0) {
    // Every draw underflowed (tiny alpha): all mass on one uniformly chosen entry.
    std::fill(p.begin(), p.end(), 0.0);
    p[rng.below(n)] = 1.0;
    return p;
  }
  for (auto& v : p) v /= sum;
  return p;
}

// Splits `total` items by shares p (summing to 1) with the largest-remainder rule:
// the counts sum to exactly `total`; ties go to the lower index.
std::vector<std::size_t> apportion(std::size_t total, const std::vector<double>& p) {
  std::vector<std::size_t> counts(p.size());
  std::vector<std::pair<double, std::size_t>> rest(p.size());
  std::size_t given = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double exact = p[k] * static_cast<double>(total);
    counts[k] = static_cast<std::size_t>(std::floor(exact));
    given += counts[k];
    rest[k] = {exact - std::floor(exact), k};
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; given < total; ++i, ++given) ++counts[rest[i % rest.size()].second];
  while (given > total) {   // floating error gave too much: take from the largest
    --*std::max_element(counts.begin(), counts.end());
    --given;
  }
  return counts;
}

Partition from_lists(std::vector<std::vector<std::uint32_t>>& lists) {
  Partition out;
  out.offsets.push_back(0);
  for (auto& l : lists) {
    out.rows.insert(out.rows.end(), l.begin(), l.end());
    out.offsets.push_back(out.rows.size());
  }
  return out;
}

// Gives every empty client one row from the client that has the most (lowest id on ties).
void fill_empty(std::vector<std::vector<std::uint32_t>>& lists) {
  for (auto& l : lists) {
    if (!l.empty()) continue;
    auto donor = std::max_element(lists.begin(), lists.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    l.push_back(donor->back());
    donor->pop_back();
  }
}

}  // namespace

PartitionKind parse_partition(std::string_view name) {
  return parse_choice<PartitionKind>(
      "partition", name,
      {{"iid", PartitionKind::iid}, {"dirichlet", PartitionKind::dirichlet}, {"quantity", PartitionKind::quantity}});
}

Partition make_partition(PartitionKind kind, std::span<const int> labels, int classes, std::size_t clients,
                         double alpha, std::uint64_t seed) {
  const std::size_t n = labels.size();
  if (clients == 0) throw std::invalid_argument("clients must be at least 1");
  if (clients > n)
    throw std::invalid_argument("clients (" + std::to_string(clients) + ") is more than the training samples (" +
                                std::to_string(n) + "): every client needs at least one sample");
  if (kind != PartitionKind::iid && !(alpha > 0))
    throw std::invalid_argument("dirichlet_alpha must be greater than 0 (got " + std::to_string(alpha) + ")");

  Rng rng(seed, Stream::partition);
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), std::uint32_t{0});
  rng.shuffle(std::span(order));
  std::vector<std::vector<std::uint32_t>> lists(clients);

  if (kind == PartitionKind::iid || kind == PartitionKind::quantity) {
    std::vector<std::size_t> sizes;
    if (kind == PartitionKind::iid) {
      sizes.assign(clients, n / clients);
      for (std::size_t k = 0; k < n % clients; ++k) ++sizes[k];
    } else {
      // One row each first, the rest by Dirichlet shares, so no client is empty.
      sizes = apportion(n - clients, dirichlet(rng, clients, alpha));
      for (auto& s : sizes) ++s;
    }
    std::size_t at = 0;
    for (std::size_t k = 0; k < clients; ++k) {
      lists[k].assign(order.begin() + static_cast<std::ptrdiff_t>(at), order.begin() + static_cast<std::ptrdiff_t>(at + sizes[k]));
      at += sizes[k];
    }
    return from_lists(lists);
  }

  // Label skew: each class's rows (in shuffled order) are split by its own Dirichlet shares.
  std::vector<std::vector<std::uint32_t>> by_class(static_cast<std::size_t>(classes));
  for (std::uint32_t r : order) by_class[static_cast<std::size_t>(labels[r])].push_back(r);
  for (const auto& rows : by_class) {
    const auto counts = apportion(rows.size(), dirichlet(rng, clients, alpha));
    std::size_t at = 0;
    for (std::size_t k = 0; k < clients; ++k)
      for (std::size_t i = 0; i < counts[k]; ++i) lists[k].push_back(rows[at++]);
  }
  fill_empty(lists);
  return from_lists(lists);
}

}  // namespace orrery::fed
