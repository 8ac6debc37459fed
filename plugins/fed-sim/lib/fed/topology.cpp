#include "fed/topology.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "fed/choice.hpp"
#include "fed/rng.hpp"

namespace orrery::fed {

TopologyKind parse_topology(std::string_view name) {
  return parse_choice<TopologyKind>("topology", name,
                                    {{"ring", TopologyKind::ring},
                                     {"torus", TopologyKind::torus},
                                     {"random_regular", TopologyKind::random_regular},
                                     {"erdos_renyi", TopologyKind::erdos_renyi},
                                     {"small_world", TopologyKind::small_world}});
}

bool Topology::connected() const {
  if (neighbours.empty()) return true;
  std::vector<bool> seen(nodes(), false);
  std::vector<std::size_t> stack{0};
  seen[0] = true;
  std::size_t reached = 1;
  while (!stack.empty()) {
    const std::size_t u = stack.back();
    stack.pop_back();
    for (std::size_t v : neighbours[u])
      if (!seen[v]) seen[v] = true, ++reached, stack.push_back(v);
  }
  return reached == nodes();
}

std::vector<std::pair<std::size_t, double>> Topology::weights(std::size_t node) const {
  std::vector<std::pair<std::size_t, double>> row{{node, 1.0}};
  for (std::size_t j : neighbours[node]) {
    const double w = 1.0 / (1.0 + static_cast<double>(std::max(neighbours[node].size(), neighbours[j].size())));
    row.emplace_back(j, w);
    row[0].second -= w;
  }
  return row;
}

namespace {

using Edges = std::set<std::pair<std::size_t, std::size_t>>;   // (low, high)

void link(Edges& e, std::size_t a, std::size_t b) {
  if (a != b) e.emplace(std::min(a, b), std::max(a, b));
}

Topology from_edges(std::size_t n, const Edges& edges) {
  Topology t;
  t.neighbours.resize(n);
  for (const auto& [a, b] : edges) {
    t.neighbours[a].push_back(b);
    t.neighbours[b].push_back(a);
  }
  for (auto& l : t.neighbours) std::sort(l.begin(), l.end());
  return t;
}

// Configuration model: pair up degree stubs per node at random; retry until simple.
Edges random_regular(std::size_t n, std::size_t d, Rng& rng) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::vector<std::size_t> stubs;
    for (std::size_t i = 0; i < n; ++i) stubs.insert(stubs.end(), d, i);
    rng.shuffle(std::span(stubs));
    Edges e;
    bool simple = true;
    for (std::size_t k = 0; k < stubs.size() && simple; k += 2) {
      const std::size_t a = stubs[k], b = stubs[k + 1];
      simple = a != b && e.emplace(std::min(a, b), std::max(a, b)).second;
    }
    if (simple) return e;
  }
  throw std::invalid_argument("random_regular: no simple " + std::to_string(d) + "-regular graph on " +
                              std::to_string(n) + " nodes found in 1000 tries (lower the degree)");
}

}  // namespace

Topology make_topology(TopologyKind kind, std::size_t n, std::size_t degree, double edge_prob, double rewire_prob,
                       std::uint64_t seed) {
  Rng rng(seed, Stream::topology);
  Edges e;
  switch (kind) {
    case TopologyKind::ring:
      if (n < 3) throw std::invalid_argument("a ring needs at least 3 nodes");
      for (std::size_t i = 0; i < n; ++i) link(e, i, (i + 1) % n);
      break;
    case TopologyKind::torus: {
      std::size_t r = static_cast<std::size_t>(std::sqrt(static_cast<double>(n)));
      while (r > 1 && n % r != 0) --r;
      const std::size_t c = n / r;
      if (r < 3 || c < 3)
        throw std::invalid_argument("a torus of " + std::to_string(n) + " nodes would be " + std::to_string(r) + " x " +
                                    std::to_string(c) + ": both sides need at least 3 (pick a count like 9, 12, 16)");
      for (std::size_t i = 0; i < r; ++i)
        for (std::size_t j = 0; j < c; ++j) {
          link(e, i * c + j, i * c + (j + 1) % c);
          link(e, i * c + j, ((i + 1) % r) * c + j);
        }
      break;
    }
    case TopologyKind::random_regular:
      if (degree < 1 || degree >= n || (n * degree) % 2 != 0)
        throw std::invalid_argument("random_regular needs 1 <= degree < nodes and nodes x degree even (got " +
                                    std::to_string(n) + " nodes, degree " + std::to_string(degree) + ")");
      e = random_regular(n, degree, rng);
      break;
    case TopologyKind::erdos_renyi:
      for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
          if (rng.uniform() < edge_prob) link(e, a, b);
      break;
    case TopologyKind::small_world: {
      if (degree < 2 || degree % 2 != 0 || degree >= n)
        throw std::invalid_argument("small_world needs an even degree, at least 2 and below the node count (got " +
                                    std::to_string(degree) + ")");
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 1; k <= degree / 2; ++k) link(e, i, (i + k) % n);
      // Rewire each lattice edge (i, i + k) to (i, random) with probability rewire_prob.
      Edges out;
      for (const auto& [a, b] : e) {
        if (rng.uniform() < rewire_prob) {
          std::size_t target = a;
          for (int tries = 0; tries < 100 && (target == a || out.count({std::min(a, target), std::max(a, target)}));
               ++tries)
            target = static_cast<std::size_t>(rng.below(n));
          if (target != a) {
            link(out, a, target);
            continue;
          }
        }
        link(out, a, b);
      }
      e = std::move(out);
      break;
    }
  }
  Topology t = from_edges(n, e);
  if (!t.connected())
    throw std::invalid_argument("the " + std::string(kind == TopologyKind::erdos_renyi ? "erdos_renyi" : "generated") +
                                " topology of " + std::to_string(n) +
                                " nodes is not connected: gossip could never mix it (raise edge_prob or the degree, "
                                "or change the seed)");
  return t;
}

}  // namespace orrery::fed
