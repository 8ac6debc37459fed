// fed-sim's synchronous rounds in one process: the behaviours the worker's MPI
// runs rest on (FedAvg learns the digits; clients hosted in any grouping give
// bit-identical models; Byzantine clients against the aggregators; virtual
// time; crashed clients and gradient coding against stragglers; the
// configuration's refusals).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>

#include "fed/client_profile.hpp"
#include "fed/round_plan.hpp"
#include "fed/sampling.hpp"
#include "fed/outages.hpp"
#include "fed/sequential_coding.hpp"
#include "fed/simulation.hpp"
#include "fed_test_support.hpp"
#include "test_support.hpp"

using namespace orrery::fed;
using orrery::test_support::TempDir;

namespace {

// Runs every round of sim with the clients hosted in `ranks` contiguous blocks,
// the way the worker spreads them over MPI ranks, and returns the test accuracy
// after each round.
std::vector<double> run(Simulation& sim, int ranks, std::vector<RoundOutcome>* outcomes = nullptr) {
  const std::size_t np = sim.global.size();
  const RankBlocks blocks{sim.clients(), ranks};
  TrainScratch scratch;
  std::vector<double> accuracy;
  for (std::int64_t round = 1; round <= sim.cfg.rounds; ++round) {
    const auto drawn = sample_clients(sim.clients(), sim.cfg.per_round(), static_cast<std::uint64_t>(sim.cfg.seed), round);
    const RoundPlan plan = plan_round(sim, drawn, round);   // crashes and gradient coding, as the worker
    const std::vector<std::size_t>& sample = plan.trained;
    std::vector<ClientRecord> records(sample.size());
    std::vector<float> updates(sample.size() * np);
    std::size_t at = 0;
    for (int r = 0; r < ranks; ++r) {   // each "rank" trains its block into its slice, as Gatherv lays them out
      const auto lo = std::lower_bound(sample.begin(), sample.end(), blocks.first(r));
      const auto hi = std::lower_bound(lo, sample.end(), blocks.first(r + 1));
      const std::span<const std::size_t> mine(lo, hi);
      train_clients(sim, mine, round, std::span(records).subspan(at, mine.size()),
                    std::span(updates).subspan(at * np, mine.size() * np), scratch);
      at += mine.size();
    }
    RoundOutcome o = server_step(sim, records, updates);
    if (plan.seconds >= 0) o.seconds = plan.seconds;
    if (outcomes) outcomes->push_back(o);
    accuracy.push_back(evaluate(*sim.model, sim.global, sim.data.test).accuracy);
  }
  return accuracy;
}

Config digits(std::int64_t clients, std::int64_t rounds) {
  Config c;
  c.clients = clients;
  c.rounds = rounds;
  return c;
}

}  // namespace

TEST(FedSimulation, FedAvgOnIidDigitsReachesNinetyPercent) {
  for (ModelKind model : {ModelKind::logreg, ModelKind::mlp}) {
    Config c = digits(10, 15);
    c.model = model;
    auto sim = prepare(c);
    EXPECT_EQ(sim->data.train.rows() + sim->data.test.rows(), 1797u);
    const auto acc = run(*sim, 1);
    EXPECT_LT(acc.front(), acc.back());
    EXPECT_GE(acc.back(), 0.9) << (model == ModelKind::mlp ? "mlp" : "logreg");
  }
}

TEST(FedSimulation, ResultsAreBitIdenticalWhateverTheRankCount) {
  Config c = digits(37, 4);
  c.model = ModelKind::mlp;
  c.client_fraction = 0.5;
  c.partition = PartitionKind::dirichlet;
  c.byzantine_fraction = 0.2;
  c.attack = AttackKind::alie;
  c.aggregator = AggregatorKind::trimmed_mean;
  std::vector<float> reference;
  for (int ranks : {1, 2, 3, 4}) {
    auto sim = prepare(c);
    run(*sim, ranks);
    if (reference.empty()) reference = sim->global;
    else EXPECT_EQ(sim->global, reference) << ranks << " ranks";
  }
  c.seed = 2;
  auto other = prepare(c);
  run(*other, 1);
  EXPECT_NE(other->global, reference);
}

TEST(FedSimulation, ClientSamplingTakesTheFractionEachRound) {
  Config c = digits(100, 5);
  c.client_fraction = 0.1;
  auto sim = prepare(c);
  std::vector<RoundOutcome> outcomes;
  run(*sim, 2, &outcomes);
  for (const auto& o : outcomes) EXPECT_EQ(o.participants, 10u);
}

// 20 % sign-flip attackers (scale 10): the mean follows them uphill; the robust rules do not.
TEST(FedSimulation, SignFlipAttackersBreakTheMeanNotTheRobustRules) {
  Config c = digits(20, 15);
  c.byzantine_fraction = 0.2;
  c.attack = AttackKind::sign_flip;
  for (AggregatorKind agg :
       {AggregatorKind::mean, AggregatorKind::median, AggregatorKind::trimmed_mean, AggregatorKind::krum,
        AggregatorKind::flag}) {
    c.aggregator = agg;
    auto sim = prepare(c);
    std::vector<RoundOutcome> outcomes;
    const double acc = run(*sim, 1, &outcomes).back();
    if (agg == AggregatorKind::mean) {
      EXPECT_LT(acc, 0.5);
      EXPECT_EQ(outcomes.back().byzantine_accepted, 4);
    } else {
      EXPECT_GT(acc, 0.8) << "aggregator " << static_cast<int>(agg);
    }
    if (agg == AggregatorKind::krum) {
      for (const auto& o : outcomes) EXPECT_EQ(o.byzantine_accepted, 0);
    }
  }
}

TEST(FedSimulation, VirtualRoundTimeIsTheSlowestParticipant) {
  Config c = digits(8, 1);
  c.speed_dist = DistKind::exponential;
  auto sim = prepare(c);
  std::vector<RoundOutcome> outcomes;
  run(*sim, 1, &outcomes);
  double slowest = 0;
  for (std::size_t k = 0; k < 8; ++k) {
    const ClientProfile p = client_profile(sim->profiles, 1, k);
    slowest = std::max(slowest, round_seconds(p, static_cast<double>(sim->partition.size(k)), sim->model_bytes()));
  }
  EXPECT_DOUBLE_EQ(outcomes[0].seconds, slowest);
  // download + train + upload by hand
  EXPECT_DOUBLE_EQ(round_seconds({10, 1000, 0.5}, 50, 2000), 0.5 + 2 + 5 + 0.5 + 2);
}

TEST(FedSimulation, ProfilesFollowTheirDistributionsAndTraces) {
  ProfileConfig pc;
  pc.speed = {DistKind::uniform, 100, 0.5};
  pc.bandwidth = {DistKind::normal, 1000, 0.2};
  pc.latency = {DistKind::exponential, 0.1, 0};
  double lat = 0;
  for (std::size_t k = 0; k < 20000; ++k) {
    const ClientProfile p = client_profile(pc, 3, k);
    ASSERT_TRUE(p.speed >= 50 && p.speed < 150);
    ASSERT_GE(p.bandwidth, 50.0);
    lat += p.latency;
  }
  EXPECT_NEAR(lat / 20000, 0.1, 0.005);

  TempDir dir;
  std::ofstream(dir.path() / "trace.csv") << "# speed,bandwidth,latency\n10,1e6,0.01\n\n20, 2e6 ,0.02  # slow link\n";
  const Trace t = load_trace(dir.path() / "trace.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  pc.trace = &t;
  pc.speed.kind = pc.bandwidth.kind = pc.latency.kind = DistKind::trace;
  EXPECT_EQ(client_profile(pc, 3, 1).bandwidth, 2e6);
  EXPECT_EQ(client_profile(pc, 3, 2).speed, 10.0);   // wraps around
  std::ofstream(dir.path() / "bad.csv") << "10,1e6,0.01\n10,-1,0\n";
  try {
    load_trace(dir.path() / "bad.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "bad.csv, line 2: expected 'speed,bandwidth,latency'");
  }
}

TEST(FedSimulation, ShiftedDigitsHostTenThousandClients) {
  Config c = digits(10000, 1);
  c.dataset = "digits_shifted";
  c.client_fraction = 0.05;
  auto sim = prepare(c);
  EXPECT_EQ(sim->data.train.rows(), 9 * 1438u);
  EXPECT_EQ(sim->data.test.rows(), 359u);
  std::vector<RoundOutcome> outcomes;
  run(*sim, 2, &outcomes);
  EXPECT_EQ(outcomes[0].participants, 500u);
}

// Clients crash mid-round and rejoin crash_rounds later: a round aggregates the updates
// that arrived, FedAvg still learns, and a crashed client takes part again afterwards.
TEST(FedFailures, CrashedClientsDropOutOfTheirRoundsAndRejoin) {
  Config c = digits(20, 12);
  c.outage.crash_prob = 0.2;
  c.outage.crash_rounds = 2;
  auto sim = prepare(c);
  std::size_t crashed = 0;
  std::vector<std::int64_t> last_down(20, -1);
  std::size_t rejoined = 0;
  for (std::int64_t round = 1; round <= c.rounds; ++round) {
    std::vector<std::size_t> all(20);
    std::iota(all.begin(), all.end(), std::size_t{0});
    const RoundPlan plan = plan_round(*sim, all, round);
    crashed += plan.crashed;
    EXPECT_EQ(plan.trained.size() + plan.crashed, 20u);
    EXPECT_EQ(plan.uploads, plan.trained.size());
    for (std::size_t k = 0; k < 20; ++k) {
      const bool in = std::binary_search(plan.trained.begin(), plan.trained.end(), k);
      if (!in) {
        // A crash lasts crash_rounds rounds: down in round r means down in r + 1 too when it crashed at r.
        last_down[k] = round;
      } else if (last_down[k] > 0 && last_down[k] == round - 1) {
        ++rejoined;
      }
    }
  }
  EXPECT_GT(crashed, 20u) << "about 20 % new crashes per round, each lasting 2 rounds";
  EXPECT_GT(rejoined, 5u) << "crashed clients come back";
  std::vector<RoundOutcome> outcomes;
  const auto acc = run(*sim, 2, &outcomes);
  for (const RoundOutcome& o : outcomes) EXPECT_LT(o.participants, 20u);
  EXPECT_GT(acc.back(), 0.9);
}

// Gradient coding: with heavy-tailed speeds a plain round waits for its slowest client;
// coded (groups of s + 1 that hold each other's data), it waits for the fastest member of
// the slowest group. The decoded sum is FedAvg's sum: same model, bit for bit, in less
// virtual time; a crashed client's partition is still decoded through its group.
TEST(FedFailures, GradientCodingMasksStragglersWithTheSameModel) {
  Config plain = digits(20, 8);
  plain.speed_dist = DistKind::exponential;
  Config coded = plain;
  coded.gradient_coding = 1;
  auto a = prepare(plain), b = prepare(coded);
  std::vector<RoundOutcome> oa, ob;
  const auto acc_a = run(*a, 1, &oa), acc_b = run(*b, 2, &ob);
  EXPECT_EQ(a->global, b->global);
  EXPECT_GT(acc_b.back(), 0.9);
  double ta = 0, tb = 0;
  for (const RoundOutcome& o : oa) ta += o.seconds;
  for (const RoundOutcome& o : ob) tb += o.seconds;
  std::printf("8 rounds of 20 clients, exponential speeds: %.1f virtual s plain, %.1f s coded (s = 1)\n", ta, tb);
  EXPECT_LT(tb, ta / 2) << "the slowest clients are masked by their group mates";

  // With crashes: a group with one live member still delivers both partitions.
  coded.outage.crash_prob = 0.15;
  coded.outage.crash_rounds = 1;
  auto d = prepare(coded);
  std::size_t masked = 0;
  for (std::int64_t round = 1; round <= coded.rounds; ++round) {
    std::vector<std::size_t> all(20);
    std::iota(all.begin(), all.end(), std::size_t{0});
    const RoundPlan plan = plan_round(*d, all, round);
    masked += plan.trained.size() + plan.crashed - 20;   // crashed clients whose partition was decoded anyway
  }
  EXPECT_GT(masked, 5u);
  EXPECT_GT(run(*d, 2).back(), 0.9);
}

// Sequential gradient coding (sequential_coding.hpp): stragglers are the crash model's down
// clients (bursts of crash_rounds rounds). With every burst at most T slots long, each
// round is decoded within T slots, the model is uncoded FedAvg's bit for bit, the clients
// compute fewer partitions per slot than per-round coding's s + 1, and N rounds take less
// virtual time than uncoded FedAvg that waits for its stragglers.
TEST(FedFailures, SequentialCodingDecodesEachRoundWithinTheDelayWithFedAvgsModel) {
  Config plain = digits(20, 8);
  Config seq = plain;
  seq.outage.crash_prob = 0.15;
  seq.outage.crash_rounds = 1;
  seq.sgc_delay = 2;
  auto a = prepare(plain), b = prepare(seq);
  const auto acc_b = run(*b, 2);
  run(*a, 1);
  EXPECT_EQ(a->global, b->global) << "every round decoded whole: FedAvg's sum";
  EXPECT_GT(acc_b.back(), 0.9);

  // The pattern lies inside the tolerated model: no client is down more than T slots in a row.
  const SequentialSchedule sgc = plan_sequential_coding(*b, 0, seq.sgc_delay);
  std::vector<int> run_length(20, 0);
  int longest = 0, stragglers = 0;
  for (std::int64_t slot = 1; slot <= static_cast<std::int64_t>(sgc.slot_seconds.size()); ++slot) {
    const auto down = crashed_nodes(seq.outage, 20, 1, slot);
    for (std::size_t k = 0; k < 20; ++k) {
      run_length[k] = down[k] ? run_length[k] + 1 : 0;
      longest = std::max(longest, run_length[k]);
      stragglers += down[k] ? 1 : 0;
    }
  }
  ASSERT_LE(longest, seq.sgc_delay);
  EXPECT_GT(stragglers, 10);
  for (std::size_t j = 0; j < 8; ++j) {
    ASSERT_GE(sgc.decoded[j], sgc.started[j]) << "round " << j + 1 << " decoded";
    EXPECT_LE(sgc.decoded[j] - sgc.started[j], seq.sgc_delay) << "round " << j + 1;
  }
  EXPECT_EQ(sgc.stall_slots, 0);
  EXPECT_EQ(sgc.late_jobs, 0);
  EXPECT_GT(sgc.reattempts, 0) << "stragglers re-attempted their missed tasks";

  // Per-client load: per-round coding (s = 1) computes 2 partitions per working client and slot,
  // uncoded FedAvg 1; sequential coding 1 plus the re-attempted tasks.
  const SequentialSchedule per_round = plan_sequential_coding(*b, 1, 0);
  const SequentialSchedule uncoded = plan_sequential_coding(*b, 0, 0);
  EXPECT_DOUBLE_EQ(per_round.mean_load, 2.0);
  EXPECT_DOUBLE_EQ(uncoded.mean_load, 1.0);
  EXPECT_GT(sgc.mean_load, 1.0);
  EXPECT_LT(sgc.mean_load, per_round.mean_load);
  std::printf("8 rounds of 20 clients, 15 %% stragglers per slot (bursts of 1): virtual s uncoded (waits) %.2f "
              "[%lld stalled slots], per-round GC s=1 %.2f [%lld], SGC s=0 T=2 %.2f [%lld]; load %.3f / %.3f / %.3f "
              "partitions per working client and slot\n",
              uncoded.total_seconds(), static_cast<long long>(uncoded.stall_slots), per_round.total_seconds(),
              static_cast<long long>(per_round.stall_slots), sgc.total_seconds(),
              static_cast<long long>(sgc.stall_slots), uncoded.mean_load, per_round.mean_load, sgc.mean_load);
  EXPECT_GT(uncoded.stall_slots, 0);
  EXPECT_LT(sgc.total_seconds(), uncoded.total_seconds());

  // With T = 0 and no stragglers the planner is the per-round code of plan_round.
  auto c = prepare([&] {
    Config g = plain;
    g.gradient_coding = 1;
    return g;
  }());
  const SequentialSchedule gc = plan_sequential_coding(*c, 1, 0);
  std::vector<std::size_t> all(20);
  std::iota(all.begin(), all.end(), std::size_t{0});
  double gc_seconds = 0;
  for (std::int64_t round = 1; round <= 8; ++round) gc_seconds += plan_round(*c, all, round).seconds;
  EXPECT_DOUBLE_EQ(gc.total_seconds(), gc_seconds);
}

// Outside the tolerated model (bursts of 3 slots, T = 1) the server waits: rounds are late,
// slots stall, and every round is still decoded whole.
TEST(FedFailures, SequentialCodingFallsBackToWaitingOutsideItsStragglerModel) {
  Config seq = digits(20, 6);
  seq.outage.crash_prob = 0.1;
  seq.outage.crash_rounds = 3;
  seq.sgc_delay = 1;
  auto sim = prepare(seq);
  const SequentialSchedule sgc = plan_sequential_coding(*sim, 0, 1);
  EXPECT_GT(sgc.late_jobs, 0);
  EXPECT_GT(sgc.stall_slots, 0);
  for (std::size_t j = 0; j < 6; ++j) EXPECT_GE(sgc.decoded[j], sgc.started[j]);
  EXPECT_EQ(sgc.slot_seconds.size(),
            static_cast<std::size_t>(*std::max_element(sgc.decoded.begin(), sgc.decoded.end())));
  auto plain = prepare(digits(20, 6));
  run(*plain, 1);
  run(*sim, 1);
  EXPECT_EQ(sim->global, plain->global);
}

// MoDeST: no server; each round samples 10 trainers and 3 aggregators from (seed, round).
// The model still learns, and a round moves 10 model downloads + 10 x 3 update uploads
// whatever the number of clients (FedAvg with everyone: 2 n).
TEST(FedModest, SampledAggregatorsLearnWithCommunicationBoundedByTheSample) {
  for (std::int64_t n : {50, 200}) {
    Config c = digits(n, 25);
    c.algorithm = Algorithm::modest;
    c.client_fraction = 10.0 / static_cast<double>(n);
    c.aggregators = 3;
    auto sim = prepare(c);
    std::set<std::size_t> aggregators_seen;
    for (std::int64_t round = 1; round <= c.rounds; ++round) {
      const auto sample = sample_clients(sim->clients(), c.per_round(), static_cast<std::uint64_t>(c.seed), round);
      const RoundPlan plan = plan_round(*sim, sample, round);
      ASSERT_EQ(plan.aggregators.size(), 3u);
      EXPECT_EQ(plan.downloads + plan.uploads, 10u + 10u * 3u) << "n = " << n;
      EXPECT_GT(plan.seconds, 0.0);
      aggregators_seen.insert(plan.aggregators.begin(), plan.aggregators.end());
    }
    EXPECT_GT(aggregators_seen.size(), 20u) << "the aggregators change from round to round";
    const double acc = run(*sim, 2).back();
    std::printf("modest, %lld clients, 10 trainers and 3 aggregators per round: accuracy %.3f\n",
                static_cast<long long>(n), acc);
    EXPECT_GT(acc, 0.85);
  }
}

TEST(FedConfig, ParsesTheWorkersArguments) {
  const char* argv[] = {"--clients=40", "--aggregator=krum", "--lr=0.05", "--partition=dirichlet", "--trace_file=/x"};
  bool help = true;
  const Config c = parse_config(std::span<char* const>(const_cast<char**>(argv), 5), help);
  EXPECT_FALSE(help);
  EXPECT_EQ(c.clients, 40);
  EXPECT_EQ(c.aggregator, AggregatorKind::krum);
  EXPECT_DOUBLE_EQ(c.lr, 0.05);
  EXPECT_EQ(c.partition, PartitionKind::dirichlet);
  EXPECT_EQ(c.trace_file, "/x");
}

TEST(FedConfig, BadInputsGiveClearErrors) {
  struct Case {
    std::vector<const char*> args;
    const char* message;
  } cases[] = {
      {{"--clients=x"}, "--clients: expects an integer, got 'x'"},
      {{"--lr=1e999"}, "--lr: expects a number"},
      {{"--aggregator=mode"}, "--aggregator: unknown aggregator 'mode'"},
      {{"--bogus=1"}, "unknown option '--bogus'"},
      {{"clients"}, "unexpected argument 'clients'"},
      {{"--aggregator=krum", "--byzantine_fraction=0.5"}, "krum tolerates fewer than half"},
      {{"--aggregator=krum", "--clients=10", "--client_fraction=0.5", "--byzantine_fraction=0.4"},
       "krum needs more than 2f + 2 updates per round: 5 clients per round with f = 2"},
      {{"--partition=dirichlet", "--dirichlet_alpha=0"}, "--dirichlet_alpha: must be greater than 0"},
      {{"--partition=quantity", "--dirichlet_alpha=-2"}, "--dirichlet_alpha: must be greater than 0"},
      {{"--speed_dist=trace"}, "--trace_file: is required"},
      {{"--dataset=mnist"}, "unknown data set 'mnist'"},
      {{"--client_fraction=0"}, "--client_fraction: must be in (0, 1]"},
      {{"--aggregation_tree=yes"}, "--aggregation_tree: expects true or false"},
      {{"--link_failure_prob=0.1"}, "link failures and disasters apply to decentralized runs (dpsgd)"},
      {{"--gradient_coding=2", "--clients=10"}, "--gradient_coding: groups of gradient_coding + 1 clients must divide"},
      {{"--sgc_delay=1", "--client_fraction=0.5"}, "--sgc_delay: codes FedAvg's weighted sum over every client"},
      {{"--sgc_delay=-1"}, "--sgc_delay: must be at least 0"},
      {{"--gradient_coding=1", "--client_fraction=0.5"}, "--gradient_coding: codes FedAvg's weighted sum"},
      {{"--gradient_coding=1", "--aggregator=median"}, "--gradient_coding: codes FedAvg's weighted sum"},
      {{"--gradient_coding=10", "--clients=10"}, "--gradient_coding: must be between 0 and clients - 1"},
      {{"--algorithm=dpsgd", "--aggregator=krum"}, "dpsgd has no server"},
      {{"--aggregator=bristle"}, "--aggregator: bristle is a gossip rule: it needs algorithm dpsgd"},
      {{"--algorithm=modest", "--aggregators=11", "--clients=10"}, "--aggregators: must be between 1 and clients (10)"},
      {{"--aggregation_tree=true", "--aggregator=median"}, "--aggregation_tree: sums the ranks' updates in a tree"},
      {{"--aggregation_tree=true", "--algorithm=fedbuff"}, "--aggregation_tree: sums the ranks' updates in a tree"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    try {
      bool help = false;
      const Config cfg = parse_config(std::span<char* const>(const_cast<char**>(c.args.data()), c.args.size()), help);
      validate(cfg);
      ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_CONTAINS(e.what(), c.message);
    }
  }
  // Data-dependent: more clients than training samples (1,438 training digits).
  try {
    prepare(digits(1439, 1));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_CONTAINS(e.what(), "clients (1439) is more than the training samples (1438)");
  }
}
