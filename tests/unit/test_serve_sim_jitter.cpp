// serve-sim's calibrated noise in time: the fit keeps each rank's measured / fitted ratios in
// time order (one sequence per series), and the jitter process replays stretches of them
// (a stationary block bootstrap) whose statistics are the measured ones: the same factors,
// the autocorrelation kept (independent draws have none), the spread of a many-step mean kept,
// reproducible by seed. In a simulation a slow stretch then makes a request's TPOT slow, as it
// does on a real loaded rank. And the wake-up delay of an idle rank, drawn for a request that
// arrives at an idle instance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "gpt/rng.hpp"
#include "serve/serve_metrics.hpp"
#include "serve_sim_hand_costs.hpp"
#include "sim/cluster_sim.hpp"
#include "sim/cost_fit.hpp"
#include "sim/jitter_process.hpp"

namespace orrery::sim {
namespace {

// A source with slow stretches: log factor AR(1) with coefficient phi (sd about 0.3).
std::vector<double> ar1_factors(std::size_t n, double phi, std::uint64_t seed) {
  gpt::Rng rng(seed);
  std::vector<double> out;
  double x = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x = phi * x + 0.3 * std::sqrt(1 - phi * phi) * rng.normal();
    out.push_back(std::exp(x));
  }
  return out;
}

double lag_correlation(const std::vector<double>& v, std::size_t lag) {
  double mean = 0;
  for (const double x : v) mean += x / static_cast<double>(v.size());
  double num = 0, den = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    den += (v[i] - mean) * (v[i] - mean);
    if (i + lag < v.size()) num += (v[i] - mean) * (v[i + lag] - mean);
  }
  return num / den;
}

// Standard deviation of the means of consecutive blocks of `steps` values: how much of the
// noise survives in a request's TPOT (a mean over its steps).
double block_mean_sd(const std::vector<double>& v, std::size_t steps) {
  std::vector<double> means;
  for (std::size_t i = 0; i + steps <= v.size(); i += steps) {
    double m = 0;
    for (std::size_t k = 0; k < steps; ++k) m += v[i + k] / static_cast<double>(steps);
    means.push_back(m);
  }
  double mean = 0, var = 0;
  for (const double m : means) mean += m / static_cast<double>(means.size());
  for (const double m : means) var += (m - mean) * (m - mean) / static_cast<double>(means.size());
  return std::sqrt(var);
}

std::vector<double> draws(JitterProcess p, std::size_t n, std::uint64_t seed) {
  gpt::Rng rng(seed);
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(std::log(p.next(rng)));
  return out;
}

// One instance of the hand costs under gpt-serve's loop (a prefill, then a decode step).
ClusterOptions one_gpt_serve_rank(int batch_limit) {
  ClusterOptions c;
  c.instances = 1;
  c.batch_limit = batch_limit;
  c.iteration = "prefill_then_decode";
  c.cost = hand_costs();
  return c;
}

TEST(ServeSimJitterFit, KeepsEachSeriesRatiosInTimeOrder) {
  // Two ranks' decode steps interleaved in the input; each is exact but for known slowdowns
  // (fewer than half, so the median fit is the true one): the sequences are those factors (to
  // the fit's iterative precision).
  std::vector<PrefillSample> p;
  std::vector<DecodeSample> d;
  const std::vector<double> slow0 = {1, 1, 3, 2.5, 1, 1, 1, 1, 1, 1}, slow1 = {1, 1, 1, 1, 1, 1, 4, 1, 1, 1};
  for (std::size_t i = 0; i < 10; ++i) {
    const double tokens = 8 + 4.0 * static_cast<double>(i), batch = 1 + static_cast<double>(i % 4), context = 40 + 9.0 * static_cast<double>(i);
    for (int series : {0, 1}) {
      const double f = series == 0 ? slow0[i] : slow1[i];
      p.push_back({tokens, f * (2e-3 + 5e-5 * tokens), 0, 7 + series});
      d.push_back({batch, context, f * (1e-3 + 2e-4 * batch + 3e-7 * context), 7 + series});
    }
  }
  const CostFit f = fit_cost_model(p, d, CostModel{});
  EXPECT_NEAR(f.model.decode_fixed_s, 1e-3, 1e-9);
  ASSERT_EQ(f.model.decode_jitter_runs.size(), 2u);
  ASSERT_EQ(f.model.prefill_jitter_runs.size(), 2u);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_NEAR(f.model.decode_jitter_runs[0][i], slow0[i], 1e-5) << i;
    EXPECT_NEAR(f.model.decode_jitter_runs[1][i], slow1[i], 1e-5) << i;
    EXPECT_NEAR(f.model.prefill_jitter_runs[0][i], slow0[i], 1e-5) << i;
    EXPECT_NEAR(f.model.prefill_jitter_runs[1][i], slow1[i], 1e-5) << i;
  }
  EXPECT_EQ(f.model.jitter_block_steps, kJitterBlockSteps);
  // The quantiles are still there, for independent draws.
  EXPECT_EQ(f.model.decode_jitter.size(), 20u);
  EXPECT_NO_THROW(validate(f.model, InstanceShape{}));
}

TEST(ServeSimJitterProcess, ReplaysTheMeasuredFactorsWithTheirAutocorrelation) {
  const std::vector<std::vector<double>> runs = {ar1_factors(3000, 0.8, 11), ar1_factors(3000, 0.8, 12)};
  std::vector<double> source;
  for (const auto& r : runs)
    for (const double f : r) source.push_back(std::log(f));
  // The process borrows what it replays: these outlive it.
  const std::vector<double> no_quantiles;
  const std::vector<std::vector<double>> no_runs;
  std::vector<double> quantiles;  // the independent alternative: the same distribution
  for (const auto& r : runs) quantiles.insert(quantiles.end(), r.begin(), r.end());

  const auto blocks = draws(JitterProcess(no_quantiles, runs, 64), 20000, 5);
  const auto independent = draws(JitterProcess(quantiles, no_runs, 0), 20000, 5);
  // Every factor drawn is a measured one.
  const std::set<double> measured(source.begin(), source.end());
  EXPECT_TRUE(std::all_of(blocks.begin(), blocks.end(), [&](double x) { return measured.contains(x); }));
  // Lag-1 autocorrelation: the source's (0.8) damped by the jumps (1 - 1/64); none when independent.
  const double source_lag1 = lag_correlation(source, 1);
  EXPECT_NEAR(lag_correlation(blocks, 1), source_lag1 * (1 - 1.0 / 64), 0.05);
  EXPECT_NEAR(lag_correlation(independent, 1), 0.0, 0.05);
  // The spread of 16-step means (a request's TPOT) is the source's, twice and more the
  // independent draws' (for AR(1) with 0.8 about sqrt(9) / 1.5).
  const double source_sd16 = block_mean_sd(source, 16);
  EXPECT_NEAR(block_mean_sd(blocks, 16), source_sd16, 0.2 * source_sd16);
  EXPECT_LT(block_mean_sd(independent, 16), 0.5 * source_sd16);
  // The marginal: mean and sd of the log factors are the source's.
  auto mean_sd = [](const std::vector<double>& v) {
    double m = 0, s = 0;
    for (const double x : v) m += x / static_cast<double>(v.size());
    for (const double x : v) s += (x - m) * (x - m) / static_cast<double>(v.size());
    return std::pair{m, std::sqrt(s)};
  };
  EXPECT_NEAR(mean_sd(blocks).first, mean_sd(source).first, 0.05);
  EXPECT_NEAR(mean_sd(blocks).second, mean_sd(source).second, 0.05);
  // Reproducible: the same seed the same factors, another seed others.
  EXPECT_EQ(draws(JitterProcess(no_quantiles, runs, 64), 500, 5), std::vector<double>(blocks.begin(), blocks.begin() + 500));
  EXPECT_NE(draws(JitterProcess(no_quantiles, runs, 64), 500, 6), std::vector<double>(blocks.begin(), blocks.begin() + 500));
  // Without anything measured: 1.
  gpt::Rng rng(1);
  JitterProcess none(no_quantiles, no_runs, 0);
  EXPECT_EQ(none.next(rng), 1.0);
}

TEST(ServeSimJitterProcess, ASlowStretchMakesRequestsSlowNotJustSteps) {
  // Measured: 400 steps at the fitted time, then 400 three times slower. Replayed in stretches,
  // a request's decode steps mostly fall in one regime, so a tenth of the requests or more have
  // a TPOT near 3 steps' time; drawn independently each request averages the two (about 2).
  ClusterOptions c = one_gpt_serve_rank(1);
  c.cost.prefill_s_per_token = 1e-4;
  std::vector<double> measured(800, 1.0);
  std::fill(measured.begin() + 400, measured.end(), 3.0);
  c.cost.decode_jitter_runs = {measured};
  c.cost.decode_jitter = measured;
  c.cost.jitter_block_steps = 64;
  std::vector<serve::TraceEntry> requests;
  for (int i = 0; i < 200; ++i) requests.push_back({0.5 * i, 1, 17});  // one at a time: 16 steps each
  auto tpot_p90 = [&] {
    std::vector<double> tpots;
    for (const auto& t : simulate(c, requests).timings) tpots.push_back(serve::tpot(t) / c.cost.decode_fixed_s);
    std::sort(tpots.begin(), tpots.end());
    return tpots[tpots.size() * 9 / 10];
  };
  EXPECT_GT(tpot_p90(), 2.8);
  c.cost.decode_jitter_runs.clear();
  EXPECT_LT(tpot_p90(), 2.5);
  // A sequence of bad factors is refused.
  c.cost.decode_jitter_runs = {{1.0, 0.0}};
  EXPECT_THROW(validate(c), std::invalid_argument);
  c.cost.decode_jitter_runs = {{1.0}};
  c.cost.jitter_block_steps = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
}

TEST(ServeSimWakeDelay, ARequestArrivingAtAnIdleInstanceWaitsForItToWake) {
  // Wake delay 50 ms, one instance, gpt-serve's loop. A (10 prompt, 2 output) at 0 s finds it
  // idle: prefill 0.05 -> 1.05, decode -> 1.06. B (5, 2) at 0.5 s finds it busy: no delay,
  // prefill 1.06 -> 1.56. C (1, 2) at 3 s finds it idle again: prefill 3.05 -> 3.15.
  ClusterOptions c = one_gpt_serve_rank(4);
  c.cost.wake_delay_s = {0.05};
  const std::vector<serve::TraceEntry> three = {{0.0, 10, 2}, {0.5, 5, 2}, {3.0, 1, 2}};
  const auto r = simulate(c, three);
  EXPECT_NEAR(r.timings[0].first_token_s, 1.05, 1e-12);
  EXPECT_NEAR(r.timings[0].finish_s, 1.06, 1e-12);
  EXPECT_NEAR(r.timings[1].first_token_s, 1.56, 1e-12);
  EXPECT_NEAR(r.timings[2].first_token_s, 3.15, 1e-12);
  // Without a wake delay (the default model) it starts at once.
  c.cost.wake_delay_s.clear();
  EXPECT_NEAR(simulate(c, three).timings[0].first_token_s, 1.0, 1e-12);
  c.cost.wake_delay_s = {-1e-3};
  EXPECT_THROW(validate(c), std::invalid_argument);
  // What the calibration keeps of the measured delays: their quantiles, sorted.
  const auto q = spread_quantiles({3e-3, 1e-4, 2e-4, 1e-4});
  EXPECT_EQ(q, (std::vector<double>{1e-4, 1e-4, 2e-4, 3e-3}));
  EXPECT_TRUE(spread_quantiles({}).empty());
}

}  // namespace
}  // namespace orrery::sim
