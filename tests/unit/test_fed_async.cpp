// fed-sim's asynchronous algorithms in one process: FedAsync folds in every
// arrival weighted by its staleness, FedBuff one buffer at a time; the schedule
// is virtual-time ordered and does not depend on how a wave is trained.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <map>

#include "fed/async_run.hpp"
#include "fed/simulation.hpp"

using namespace orrery::fed;

namespace {

Config async_config(Algorithm algorithm, std::int64_t versions) {
  Config c;
  c.algorithm = algorithm;
  c.clients = 20;
  c.concurrency = 5;
  c.rounds = versions;
  c.speed_dist = DistKind::exponential;   // heterogeneous durations: real staleness
  return c;
}

// Trains every flight of a wave here, in the order given (reversed when asked, to show
// the result does not depend on the order in which a wave's flights are trained).
AsyncRun::WaveFn local_wave(Simulation& sim, AsyncRun& run, bool reversed,
                            std::map<std::uint64_t, std::vector<float>>* kept = nullptr) {
  return [&sim, &run, reversed, kept](std::span<const Flight> flights, std::span<ClientRecord> records,
                                      std::span<float> updates) {
    const std::size_t np = sim.global.size();
    TrainScratch scratch;
    for (std::size_t j = 0; j < flights.size(); ++j) {
      const std::size_t i = reversed ? flights.size() - 1 - j : j;
      const auto row = updates.subspan(i * np, np);
      records[i] = train_client(sim, flights[i].client, run.model(flights[i].base), flights[i].seq, row, scratch,
                                flights[i].steps);
      if (kept) (*kept)[flights[i].seq].assign(row.begin(), row.end());
    }
  };
}

}  // namespace

TEST(FedAsync, BothAlgorithmsLearnTheDigits) {
  for (Algorithm a : {Algorithm::fedasync, Algorithm::fedbuff}) {
    auto sim = prepare(async_config(a, a == Algorithm::fedasync ? 100 : 30));
    AsyncRun run(*sim);
    double last_time = 0;
    run.run(local_wave(*sim, run, false), [&](const VersionMade& v) {
      EXPECT_GE(v.time, last_time);   // versions come in virtual-time order
      last_time = v.time;
    });
    const double acc = evaluate(*sim->model, sim->global, sim->data.test).accuracy;
    EXPECT_GT(acc, 0.85) << (a == Algorithm::fedasync ? "fedasync" : "fedbuff");
  }
}

TEST(FedAsync, FedAsyncFoldsEachArrivalWeightedByStaleness) {
  Config c = async_config(Algorithm::fedasync, 40);
  c.async_alpha = 0.5;
  c.staleness_exponent = 0.7;
  auto sim = prepare(c);
  AsyncRun run(*sim);
  std::map<std::uint64_t, std::vector<float>> updates;
  std::map<std::uint64_t, std::int64_t> base;   // each flight's base version, seen in its wave
  auto wave = local_wave(*sim, run, false, &updates);
  std::vector<float> before = sim->global;
  std::size_t stale = 0;
  run.run(
      [&](std::span<const Flight> flights, std::span<ClientRecord> records, std::span<float> u) {
        for (const Flight& f : flights) base[f.seq] = f.base;
        wave(flights, records, u);
      },
      [&](const VersionMade& v) {
        ASSERT_EQ(v.updates, 1u);
        const double t = static_cast<double>(v.version - 1 - base.at(v.last_seq));
        EXPECT_EQ(v.mean_staleness, t);
        if (t > 0) ++stale;
        const double w = c.async_alpha * std::pow(1.0 + t, -c.staleness_exponent);
        const auto& u = updates.at(v.last_seq);
        for (std::size_t i = 0; i < before.size(); ++i)
          ASSERT_EQ(sim->global[i], before[i] + static_cast<float>(c.async_alpha * std::pow(1.0 + t, -c.staleness_exponent) * u[i]))
              << "version " << v.version << ", weight " << w;
        before = sim->global;
      });
  EXPECT_GT(stale, 20u) << "with 5 clients in flight most arrivals should be stale";
  // Staleness histogram: 40 arrivals; with 5 in flight the mean staleness is about 4.
  const auto& h = run.staleness_counts();
  double n = 0, sum = 0;
  for (std::size_t s = 0; s < h.size(); ++s) n += static_cast<double>(h[s]), sum += static_cast<double>(s * h[s]);
  EXPECT_EQ(n, 40);
  EXPECT_NEAR(sum / n, 4.0, 1.5);
}

TEST(FedAsync, FedBuffMakesAVersionPerFullBuffer) {
  Config c = async_config(Algorithm::fedbuff, 8);
  c.buffer_size = 3;
  auto sim = prepare(c);
  AsyncRun run(*sim);
  std::int64_t versions = 0;
  run.run(local_wave(*sim, run, false), [&](const VersionMade& v) {
    EXPECT_EQ(v.updates, 3u);
    EXPECT_EQ(v.version, ++versions);
  });
  EXPECT_EQ(versions, 8);
  std::uint64_t arrivals = 0, participations = 0;
  for (auto k : run.staleness_counts()) arrivals += k;
  EXPECT_EQ(arrivals, 24u);
  for (auto k : run.participation()) participations += k;
  EXPECT_EQ(participations, 24u);
  EXPECT_EQ(run.participation().size(), 20u);
}

TEST(FedAsync, OneClientInFlightIsNeverStale) {
  Config c = async_config(Algorithm::fedasync, 10);
  c.concurrency = 1;
  auto sim = prepare(c);
  AsyncRun run(*sim);
  run.run(local_wave(*sim, run, false), [](const VersionMade& v) { EXPECT_EQ(v.mean_staleness, 0.0); });
  ASSERT_EQ(run.staleness_counts().size(), 1u);
  EXPECT_EQ(run.staleness_counts()[0], 10u);
  EXPECT_EQ(run.waves(), 10u);   // each arrival's successor starts from the new version: one wave each
}

TEST(FedAsync, ResultDoesNotDependOnHowAWaveIsTrained) {
  for (Algorithm a : {Algorithm::fedasync, Algorithm::fedbuff, Algorithm::fedcompass}) {
    auto one = prepare(async_config(a, 12)), two = prepare(async_config(a, 12));
    AsyncRun r1(*one), r2(*two);
    r1.run(local_wave(*one, r1, false), [](const VersionMade&) {});
    r2.run(local_wave(*two, r2, true), [](const VersionMade&) {});
    EXPECT_EQ(one->global, two->global);
    EXPECT_LT(r1.waves(), 12u * (a == Algorithm::fedbuff ? 5u : 1u)) << "waves should batch several flights";
  }
}

// Crashes: a fifth of the dispatches crash mid-flight; no update comes from them, FedAsync
// dispatches another client in its place and FedCompass's group goes on without it; the
// clients rejoin later, every requested version is made and the model still learns.
TEST(FedAsync, CrashedFlightsAreReplacedAndTheirClientsRejoin) {
  for (Algorithm a : {Algorithm::fedasync, Algorithm::fedbuff, Algorithm::fedcompass}) {
    Config c = async_config(a, 60);
    c.speed_dist = DistKind::uniform;
    c.max_local_steps = 5;
    c.outage.crash_prob = 0.2;
    c.outage.crash_rounds = 2;
    auto sim = prepare(c);
    AsyncRun run(*sim);
    std::int64_t versions = 0;
    std::size_t updates = 0;
    run.run(local_wave(*sim, run, false), [&](const VersionMade& v) {
      ++versions;
      updates += v.updates;
    });
    EXPECT_EQ(versions, 60);
    EXPECT_GT(run.crashes(), 5u);
    std::uint64_t arrived = 0;
    for (auto k : run.participation()) arrived += k;
    EXPECT_GE(arrived, updates);   // only arrivals are folded in (some may still wait in a buffer)
    EXPECT_GT(evaluate(*sim->model, sim->global, sim->data.test).accuracy, 0.85) << static_cast<int>(a);
    auto again = prepare(c);
    AsyncRun rerun(*again);
    rerun.run(local_wave(*again, rerun, true), [](const VersionMade&) {});
    EXPECT_EQ(again->global, sim->global) << "the crashes are part of the seeded schedule";
  }
}

TEST(FedAsync, ConfigRefusesWhatAsyncCannotDo) {
  Config c = async_config(Algorithm::fedasync, 5);
  c.concurrency = 21;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c.algorithm = Algorithm::fedcompass;   // every client in flight: concurrency unused
  EXPECT_NO_THROW(validate(c));
  c = async_config(Algorithm::fedbuff, 5);
  c.aggregator = AggregatorKind::median;
  try {
    validate(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("only 'mean' applies"), std::string::npos) << e.what();
  }
}

namespace {

// Virtual seconds until the global model first reaches `target` test accuracy (evaluated
// after every version or round), or infinity.
double time_to_accuracy(const Config& c, double target) {
  auto sim = prepare(c);
  double reached = std::numeric_limits<double>::infinity();
  if (!c.asynchronous()) {
    double t = 0;
    TrainScratch scratch;
    const std::size_t np = sim->global.size();
    for (std::int64_t r = 1; r <= c.rounds && reached == std::numeric_limits<double>::infinity(); ++r) {
      std::vector<std::size_t> all(sim->clients());
      std::iota(all.begin(), all.end(), std::size_t{0});
      std::vector<ClientRecord> records(all.size());
      std::vector<float> updates(all.size() * np);
      train_clients(*sim, all, r, records, updates, scratch);
      t += server_step(*sim, records, updates).seconds;
      if (evaluate(*sim->model, sim->global, sim->data.test).accuracy >= target) reached = t;
    }
    return reached;
  }
  AsyncRun run(*sim);
  run.run(local_wave(*sim, run, false), [&](const VersionMade& v) {
    if (reached == std::numeric_limits<double>::infinity() &&
        evaluate(*sim->model, sim->global, sim->data.test).accuracy >= target)
      reached = v.time;
  });
  return reached;
}

}  // namespace

// The paper's setting: label-skewed clients (Dirichlet 0.3) with exponentially
// distributed speeds (a heavy tail of slow clients). A synchronous round waits for its
// slowest client; FedAsync never waits but its model follows the fast clients' labels and
// folds the slow ones in very stale; FedCompass groups clients (slow ones with fewer
// steps) so they arrive together with little staleness. Virtual seconds to 90 %, seeds 1-3
// (README): FedCompass 2.68 / 1.44 / 1.62, FedAsync 3.62 / 2.91 / 2.75 (1.35-2.02x),
// FedAvg 2817 / 60 / 29.
TEST(FedCompass, ReachesTheTargetSoonerThanFedAvgAndFedAsyncWithStragglers) {
  for (std::int64_t seed : {1, 2, 3}) {
    Config base;
    base.clients = 20;
    base.partition = PartitionKind::dirichlet;
    base.dirichlet_alpha = 0.3;
    base.speed_dist = DistKind::exponential;
    base.rounds = 250;
    base.seed = seed;
    Config fedavg = base, fedasync = base, compass = base;
    fedavg.rounds = 10;
    fedasync.algorithm = Algorithm::fedasync;
    fedasync.concurrency = 20;
    compass.algorithm = Algorithm::fedcompass;
    compass.max_local_steps = 5;   // about one epoch of a client's 72 samples
    compass.rounds = 40;
    const double t_avg = time_to_accuracy(fedavg, 0.9), t_async = time_to_accuracy(fedasync, 0.9),
                 t_compass = time_to_accuracy(compass, 0.9);
    std::printf("seed %lld, virtual seconds to 90 %%: fedavg %.2f, fedasync %.2f, fedcompass %.2f\n",
                static_cast<long long>(seed), t_avg, t_async, t_compass);
    EXPECT_LT(t_compass, t_avg / 2) << "seed " << seed;
    EXPECT_LT(t_compass * 1.2, t_async) << "seed " << seed;
  }
}

// The scheduler's defining behaviour: a slower client joining a faster client's group gets
// fewer steps, so both arrive at the group's expected time; one that cannot reach any group
// within [Q_min, Q_max] steps founds its own; an arrival after the latest time is late.
TEST(FedCompass, GroupsClientsSoThatTheyArriveTogether) {
  CompassParams p;
  p.q_max = 10;
  p.latest_factor = 1.5;
  CompassScheduler s(p, 4);
  EXPECT_EQ(s.q_min(), 2);
  // First flights: Q_max steps from t = 0; client k takes (k + 1) s per step.
  for (std::size_t k = 0; k < 3; ++k)
    EXPECT_EQ(s.arrive(k, 0.0, 10.0 * static_cast<double>(k + 1), 10), CompassScheduler::kUngrouped);
  EXPECT_DOUBLE_EQ(s.step_time(2), 3.0);
  // At t = 10, client 0 (1 s/step) founds a group: Q_max steps, expected at 20, latest at 25.
  EXPECT_EQ(s.assign(0, 10.0), 10);
  const auto deadlines = s.take_new_deadlines();
  ASSERT_EQ(deadlines.size(), 1u);
  EXPECT_DOUBLE_EQ(deadlines[0].first, 25.0);
  const std::int64_t g = deadlines[0].second;
  // Client 1 (2 s/step) joins at t = 12: floor((20 - 12) / 2) = 4 steps, arriving at 20 too.
  EXPECT_EQ(s.assign(1, 12.0), 4);
  EXPECT_TRUE(s.take_new_deadlines().empty());
  // Client 2 (3 s/step) at t = 18 could do floor(2 / 3) = 0 < Q_min steps: a group of its own.
  // It is timed to arrive when g's fastest member could be back from a full Q_max after g's
  // latest time: floor((25 + 1 x 10 - 18) / 3) = 5 steps.
  const std::int64_t q2 = s.assign(2, 18.0);
  EXPECT_EQ(q2, 5);
  EXPECT_EQ(s.take_new_deadlines().size(), 1u);
  // Both members of g arrive on time: the group is complete.
  EXPECT_EQ(s.arrive(0, 10.0, 20.0, 10), g);
  EXPECT_FALSE(s.complete(g));
  EXPECT_EQ(s.arrive(1, 12.0, 20.0, 4), g);
  EXPECT_TRUE(s.complete(g));
  const auto arrived = s.close(g);
  EXPECT_EQ(arrived, (std::vector<std::size_t>{0, 1}));   // fastest first
  EXPECT_FALSE(s.open(g));
  // Client 2 arrives after its group's latest time (18 + 15 x 1.5): late (general buffer).
  EXPECT_EQ(s.arrive(2, 18.0, 41.0, q2), CompassScheduler::kLate);
  // A client never measured gets Q_max and no group (its first flight measures it).
  EXPECT_EQ(s.assign(3, 0.0), 10);
  EXPECT_TRUE(s.take_new_deadlines().empty());
}

TEST(FedCompass, RunFoldsGroupsAndLearns) {
  Config c;
  c.clients = 20;
  c.algorithm = Algorithm::fedcompass;
  c.speed_dist = DistKind::exponential;
  c.max_local_steps = 5;
  c.rounds = 40;
  auto sim = prepare(c);
  AsyncRun run(*sim);
  std::size_t updates = 0, versions = 0, grouped = 0;
  run.run(local_wave(*sim, run, false), [&](const VersionMade& v) {
    updates += v.updates;
    ++versions;
    if (v.updates > 1) ++grouped;
  });
  EXPECT_EQ(versions, 40u);
  EXPECT_GT(grouped, 10u) << "groups of clients should arrive together";
  EXPECT_GT(static_cast<double>(updates) / static_cast<double>(versions), 1.5);
  EXPECT_GT(evaluate(*sim->model, sim->global, sim->data.test).accuracy, 0.85);
}
