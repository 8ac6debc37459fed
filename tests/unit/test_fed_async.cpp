// fed-sim's asynchronous algorithms in one process: FedAsync folds in every
// arrival weighted by its staleness, FedBuff one buffer at a time; the schedule
// is virtual-time ordered and does not depend on how a wave is trained.
#include <gtest/gtest.h>

#include <cmath>
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
      records[i] = train_client(sim, flights[i].client, run.model(flights[i].base), flights[i].seq, row, scratch);
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
          ASSERT_EQ(sim->global[i], before[i] + static_cast<float>(c.async_alpha * (std::pow(1.0 + t, -c.staleness_exponent) * u[i])))
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
  std::uint64_t arrivals = 0;
  for (auto k : run.staleness_counts()) arrivals += k;
  EXPECT_EQ(arrivals, 24u);
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
  for (Algorithm a : {Algorithm::fedasync, Algorithm::fedbuff}) {
    auto one = prepare(async_config(a, 12)), two = prepare(async_config(a, 12));
    AsyncRun r1(*one), r2(*two);
    r1.run(local_wave(*one, r1, false), [](const VersionMade&) {});
    r2.run(local_wave(*two, r2, true), [](const VersionMade&) {});
    EXPECT_EQ(one->global, two->global);
    EXPECT_LT(r1.waves(), 12u * (a == Algorithm::fedbuff ? 5u : 1u)) << "waves should batch several flights";
  }
}

TEST(FedAsync, ConfigRefusesWhatAsyncCannotDo) {
  Config c = async_config(Algorithm::fedasync, 5);
  c.concurrency = 21;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = async_config(Algorithm::fedbuff, 5);
  c.aggregator = AggregatorKind::median;
  try {
    validate(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("only 'mean' applies"), std::string::npos) << e.what();
  }
}
