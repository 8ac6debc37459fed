// fed-sim's decentralized learning: generated topologies and their gossip
// weights, D-PSGD, and variance-corrected averaging against the vanishing
// variance of averaged, uncorrelated models.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include "fed/gossip.hpp"
#include "fed/simulation.hpp"
#include "fed/topology.hpp"
#include "test_support.hpp"

using namespace orrery::fed;

namespace {

// Runs `rounds` gossip rounds of sim with every node trained here; returns the
// mean over nodes of their activation variance before the first round and after each.
std::vector<double> run_gossip(Simulation& sim, Gossip& g, std::int64_t rounds) {
  const std::size_t n = g.nodes(), np = g.params();
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::vector<float> trained(n * np);
  std::vector<ClientRecord> records(n);
  TrainScratch scratch;
  auto mean_var = [&] {
    double v = 0;
    for (std::size_t k = 0; k < n; ++k) v += activation_variance(*sim.model, g.model(k), sim.data.test, 200);
    return v / static_cast<double>(n);
  };
  std::vector<double> out{mean_var()};
  for (std::int64_t r = 1; r <= rounds; ++r) {
    g.train(all, r, trained, records, scratch);
    g.mix(trained);
    out.push_back(mean_var());
  }
  return out;
}

}  // namespace

TEST(FedTopology, ShapesDegreesAndConnectivity) {
  const Topology ring = make_topology(TopologyKind::ring, 10, 0, 0, 0, 1);
  for (const auto& l : ring.neighbours) EXPECT_EQ(l.size(), 2u);
  EXPECT_EQ(ring.neighbours[0], (std::vector<std::size_t>{1, 9}));
  const Topology torus = make_topology(TopologyKind::torus, 12, 0, 0, 0, 1);   // 3 x 4
  for (const auto& l : torus.neighbours) EXPECT_EQ(l.size(), 4u);
  const Topology regular = make_topology(TopologyKind::random_regular, 20, 3, 0, 0, 1);
  for (const auto& l : regular.neighbours) EXPECT_EQ(l.size(), 3u);
  const Topology sw = make_topology(TopologyKind::small_world, 30, 4, 0, 0.2, 1);
  std::size_t edges = 0;
  for (const auto& l : sw.neighbours) edges += l.size();
  EXPECT_EQ(edges, 30u * 4u);   // rewiring keeps the edge count
  for (const Topology* t : {&ring, &torus, &regular, &sw}) {
    EXPECT_TRUE(t->connected());
    for (std::size_t i = 0; i < t->nodes(); ++i)
      for (std::size_t j : t->neighbours[i]) {
        EXPECT_NE(i, j);
        EXPECT_TRUE(std::binary_search(t->neighbours[j].begin(), t->neighbours[j].end(), i));   // undirected
      }
  }
}

TEST(FedTopology, MetropolisWeightsAreDoublyStochastic) {
  const Topology t = make_topology(TopologyKind::erdos_renyi, 25, 0, 0.3, 0, 4);
  std::vector<double> column(25, 0.0);
  for (std::size_t i = 0; i < 25; ++i) {
    double row = 0;
    for (const auto& [j, w] : t.weights(i)) {
      EXPECT_GT(w, 0.0);
      row += w;
      column[j] += w;
    }
    EXPECT_NEAR(row, 1.0, 1e-12);
  }
  for (double c : column) EXPECT_NEAR(c, 1.0, 1e-12);
}

TEST(FedTopology, DisconnectedOrImpossibleGraphsAreRefused) {
  try {
    make_topology(TopologyKind::erdos_renyi, 30, 0, 0.01, 0, 1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_CONTAINS(e.what(), "topology of 30 nodes is not connected");
  }
  EXPECT_THROW(make_topology(TopologyKind::ring, 2, 0, 0, 0, 1), std::invalid_argument);
  EXPECT_THROW(make_topology(TopologyKind::torus, 7, 0, 0, 0, 1), std::invalid_argument);            // 1 x 7
  EXPECT_THROW(make_topology(TopologyKind::random_regular, 5, 3, 0, 0, 1), std::invalid_argument);   // 15 stubs
  EXPECT_THROW(make_topology(TopologyKind::small_world, 10, 3, 0, 0, 1), std::invalid_argument);     // odd degree
  Config c;
  c.algorithm = Algorithm::dpsgd;
  c.topology = TopologyKind::erdos_renyi;
  c.edge_prob = 0.001;
  c.clients = 40;
  EXPECT_THROW(prepare(c), std::invalid_argument);
}

// The vanishing variance problem: gossip-averaging independently initialised models on a
// ring shrinks the variance of their activations round after round; variance-corrected
// averaging keeps it. (A tiny learning rate keeps training from moving the weights, so
// what changes is the averaging's doing.)
TEST(FedGossip, VarianceShrinksWithoutCorrectionAndStaysWithIt) {
  for (bool corrected : {false, true}) {
    Config c;
    c.algorithm = Algorithm::dpsgd;
    c.model = ModelKind::mlp;
    c.clients = 16;
    c.topology = TopologyKind::ring;
    c.lr = 1e-6;
    c.variance_correction = corrected;
    auto sim = prepare(c);
    Gossip g(*sim);
    const auto v = run_gossip(*sim, g, 10);
    const double ratio = v.back() / v.front();
    std::printf("variance_correction=%d: activation variance %.4f -> %.4f (x%.3f)\n", corrected, v.front(), v.back(),
                ratio);
    if (corrected) {
      EXPECT_NEAR(ratio, 1.0, 0.25);
    } else {
      EXPECT_LT(ratio, 0.5);
    }
  }
}

TEST(FedGossip, DpsgdLearnsAndReachesConsensus) {
  Config c;
  c.algorithm = Algorithm::dpsgd;
  c.clients = 16;
  c.topology = TopologyKind::torus;
  auto sim = prepare(c);
  Gossip g(*sim);
  run_gossip(*sim, g, 15);
  // The nodes agree: their spread around the average is a small fraction of its size.
  const auto avg = g.average();
  double norm = 0;
  for (float x : avg) norm += static_cast<double>(x) * x;
  std::printf("consensus distance %.5f, |average|^2 %.3f\n", g.consensus_distance(), norm);
  EXPECT_LT(g.consensus_distance(), 0.02 * norm);
  EXPECT_GT(evaluate(*sim->model, avg, sim->data.test).accuracy, 0.85);
  for (std::size_t k = 0; k < g.nodes(); ++k) EXPECT_GT(evaluate(*sim->model, g.model(k), sim->data.test).accuracy, 0.85);
}
