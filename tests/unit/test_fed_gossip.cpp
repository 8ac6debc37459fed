// fed-sim's decentralized learning: generated topologies and their gossip
// weights, D-PSGD, and variance-corrected averaging against the vanishing
// variance of averaged, uncorrelated models; Bristle's robust gossip against Byzantine nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "fed/gossip.hpp"
#include "fed/outages.hpp"
#include "fed/simulation.hpp"
#include "fed/topology.hpp"
#include "test_support.hpp"

using namespace orrery::fed;

namespace {

// Runs `rounds` gossip rounds of sim (with its outages) with every node trained here;
// returns measure() taken before the first round and after each.
template <class Measure>
std::vector<double> run_gossip(Simulation& sim, Gossip& g, std::int64_t rounds, Measure measure) {
  const std::size_t n = g.nodes(), np = g.params();
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::vector<float> trained(n * np);
  std::vector<ClientRecord> records(n);
  TrainScratch scratch;
  std::vector<double> out{measure()};
  for (std::int64_t r = 1; r <= rounds; ++r) {
    const Outages o = outages_at(sim.cfg.outage, sim.topology, static_cast<std::uint64_t>(sim.cfg.seed), r);
    g.train(all, r, trained, records, scratch, o.node_down);
    g.mix(trained, o.active);
    out.push_back(measure());
  }
  return out;
}

// The mean over nodes of their activation variance.
double mean_activation_variance(Simulation& sim, const Gossip& g) {
  double v = 0;
  for (std::size_t k = 0; k < g.nodes(); ++k) v += activation_variance(*sim.model, g.model(k), sim.data.test, 200);
  return v / static_cast<double>(g.nodes());
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
    const auto v = run_gossip(*sim, g, 10, [&] { return mean_activation_variance(*sim, g); });
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
  run_gossip(*sim, g, 15, [] { return 0.0; });
  // The nodes agree: their spread around the average is a small fraction of its size.
  const auto avg = g.average();
  double norm = 0;
  for (float x : avg) norm += static_cast<double>(x) * x;
  std::printf("consensus distance %.5f, |average|^2 %.3f\n", g.consensus_distance(), norm);
  EXPECT_LT(g.consensus_distance(), 0.02 * norm);
  EXPECT_GT(evaluate(*sim->model, avg, sim->data.test).accuracy, 0.85);
  for (std::size_t k = 0; k < g.nodes(); ++k) EXPECT_GT(evaluate(*sim->model, g.model(k), sim->data.test).accuracy, 0.85);
}

// 20 % of the nodes send sign-flipped models (own - 10 x update) to their neighbours: plain
// gossip averaging carries the poison everywhere and the honest nodes fall below 50 %;
// Bristle's distance and performance tests keep them above 80 %.
TEST(FedGossip, BristleKeepsHonestNodesLearningUnderSignFlipAttackers) {
  for (AggregatorKind rule : {AggregatorKind::mean, AggregatorKind::bristle}) {
    Config c;
    c.algorithm = Algorithm::dpsgd;
    c.clients = 20;
    c.topology = TopologyKind::random_regular;
    c.degree = 4;
    c.byzantine_fraction = 0.2;
    c.attack = AttackKind::sign_flip;
    c.aggregator = rule;
    auto sim = prepare(c);
    Gossip g(*sim);
    const auto honest = run_gossip(*sim, g, 12, [&] {
      double acc = 0, n = 0;
      for (std::size_t k = 0; k < g.nodes(); ++k)
        if (!sim->byzantine[k]) acc += evaluate(*sim->model, g.model(k), sim->data.test).accuracy, n += 1;
      return acc / n;
    });
    std::printf("%s gossip, 20 %% sign-flip nodes: honest nodes' mean accuracy %.3f\n",
                rule == AggregatorKind::mean ? "mean" : "bristle", honest.back());
    if (rule == AggregatorKind::mean) {
      EXPECT_LT(honest.back(), 0.5);
    } else {
      EXPECT_GT(honest.back(), 0.8);
    }
  }
}

TEST(FedOutages, DisasterCutsTheRegionOffForItsRounds) {
  const Topology ring = make_topology(TopologyKind::ring, 10, 0, 0, 0, 1);
  OutageConfig c;
  c.disaster_fraction = 0.3;   // nodes 0, 1, 2
  c.disaster_start = 5;
  c.disaster_rounds = 3;
  const Outages before = outages_at(c, ring, 1, 4), during = outages_at(c, ring, 1, 6), after = outages_at(c, ring, 1, 8);
  EXPECT_EQ(before.links_down, 0u);
  EXPECT_EQ(during.links_down, 2u);   // 2-3 and 0-9
  EXPECT_EQ(during.active.neighbours[0], (std::vector<std::size_t>{1}));
  EXPECT_EQ(during.active.neighbours[3], (std::vector<std::size_t>{4}));
  EXPECT_EQ(after.active.neighbours, ring.neighbours);
}

TEST(FedOutages, CrashesLastTheirRoundsAndLinksFailAtTheirRate) {
  const Topology t = make_topology(TopologyKind::random_regular, 200, 4, 0, 0, 2);
  OutageConfig c;
  c.link_failure_prob = 0.25;
  double down = 0;
  for (std::int64_t r = 1; r <= 20; ++r) down += static_cast<double>(outages_at(c, t, 3, r).links_down);
  EXPECT_NEAR(down / 20 / 400, 0.25, 0.03);   // 400 links
  c = {};
  c.crash_prob = 0.1;
  c.crash_rounds = 3;
  std::vector<Outages> by_round(13);
  for (std::int64_t r = 1; r <= 12; ++r) by_round[static_cast<std::size_t>(r)] = outages_at(c, t, 3, r);
  double down_share = 0;
  for (std::size_t r = 3; r <= 10; ++r) {
    const auto& now = by_round[r].node_down;
    down_share += static_cast<double>(std::count(now.begin(), now.end(), true)) / 200.0 / 8.0;
    for (std::size_t k = 0; k < 200; ++k) {
      if (now[k]) {
        EXPECT_TRUE(by_round[r].active.neighbours[k].empty());
      }
      // A crash that begins now lasts crash_rounds rounds.
      if (now[k] && !by_round[r - 1].node_down[k]) {
        EXPECT_TRUE(by_round[r + 1].node_down[k] && by_round[r + 2].node_down[k]);
      }
    }
  }
  EXPECT_NEAR(down_share, 1 - std::pow(0.9, 3), 0.05);   // down if it crashed in one of the last 3 rounds
}

// A disaster cuts 30 % of the nodes of a label-skewed torus off for 10 rounds: the region's
// nodes drift towards their own classes (their accuracy on the whole test set dips), and
// gossip pulls them back once the region reconnects. Nothing crashes.
TEST(FedOutages, DisasterAccuracyDipsAndRecovers) {
  Config c;
  c.algorithm = Algorithm::dpsgd;
  c.clients = 20;
  c.topology = TopologyKind::torus;   // 4 x 5: the region is the first row and one more node
  c.partition = PartitionKind::dirichlet;
  c.dirichlet_alpha = 0.1;
  c.outage.disaster_fraction = 0.3;
  c.outage.disaster_start = 16;
  c.outage.disaster_rounds = 10;
  c.rounds = 40;
  auto sim = prepare(c);
  Gossip g(*sim);
  // Mean accuracy of the region's nodes 0..5; region[r] is after round r.
  const auto region = run_gossip(*sim, g, c.rounds, [&] {
    double acc = 0;
    for (std::size_t k = 0; k < 6; ++k) acc += evaluate(*sim->model, g.model(k), sim->data.test).accuracy;
    return acc / 6;
  });
  const double before = region[15], worst = *std::min_element(region.begin() + 16, region.begin() + 26),
               after = region.back();
  std::printf("region accuracy: before the cut %.4f, worst during it %.4f, 15 rounds after %.4f\n", before, worst, after);
  EXPECT_LT(worst, before - 0.03);
  EXPECT_GT(after, worst + 0.05);
  EXPECT_GT(after, before - 0.03);
}
