// serve-sim's calibration: the least-squares fit of the cost model to measured iterations
// (exact on noiseless samples, the mean under noise, coefficients kept non-negative, a
// regressor that does not vary dropped, too few samples refused), and the scheduling options
// that let the simulator follow gpt-serve's loop (round-robin dispatch, a prefill then a
// decode step per iteration), checked against hand-computed timelines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "sim/cluster_sim.hpp"
#include "serve_sim_hand_costs.hpp"
#include "sim/cost_fit.hpp"
#include "sim/machine_speed.hpp"
#include "test_support.hpp"

namespace orrery::sim {
namespace {

std::string fit_error(const std::vector<PrefillSample>& p, const std::vector<DecodeSample>& d) {
  try {
    fit_cost_model(p, d, CostModel{});
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

// prefill 2 ms + 0.05 ms per token (+ 20 ns per attention pair where a test says so); decode
// 1 ms + 0.2 ms per sequence + 0.3 us per context token.
double true_prefill(double tokens) { return 2e-3 + 5e-5 * tokens; }
double true_decode(double batch, double context) { return 1e-3 + 2e-4 * batch + 3e-7 * context; }

TEST(ServeSimCostFit, RecoversTheCoefficientsOfNoiselessIterations) {
  std::vector<PrefillSample> p;
  std::vector<DecodeSample> d;
  for (int i = 0; i < 12; ++i) {
    const double tokens = 4 + 7 * i, batch = 1 + i % 4, context = 20 + 13 * i + 5 * (i % 3);
    const double pairs = attention_pairs(static_cast<long>(tokens));  // one prompt a batch
    p.push_back({tokens, true_prefill(tokens) + 2e-8 * pairs, pairs});
    d.push_back({batch, context, true_decode(batch, context)});
  }
  const CostFit f = fit_cost_model(p, d, CostModel{});
  EXPECT_NEAR(f.model.prefill_fixed_s, 2e-3, 1e-12);
  EXPECT_NEAR(f.model.prefill_s_per_token, 5e-5, 1e-13);
  EXPECT_NEAR(f.model.prefill_s_per_attention_pair, 2e-8, 1e-15);
  EXPECT_NEAR(f.model.decode_fixed_s, 1e-3, 1e-12);
  EXPECT_NEAR(f.model.decode_s_per_seq, 2e-4, 1e-12);
  EXPECT_NEAR(f.model.decode_s_per_context_token, 3e-7, 1e-14);
  EXPECT_LT(f.prefill_rms_s, 1e-12);
  EXPECT_LT(f.decode_rms_s, 1e-12);
  // No noise: every jitter factor is 1, one per sample up to kJitterQuantiles.
  ASSERT_EQ(f.model.prefill_jitter.size(), 12u);
  for (const double j : f.model.prefill_jitter) EXPECT_NEAR(j, 1.0, 1e-9);
  for (const double j : f.model.decode_jitter) EXPECT_NEAR(j, 1.0, 1e-9);
  EXPECT_EQ(f.prefill_samples, 12u);
  EXPECT_EQ(f.decode_samples, 12u);
  // The rest of the model is the base's.
  CostModel base;
  base.kv_bytes_per_token = 4242;
  EXPECT_EQ(fit_cost_model(p, d, base).model.kv_bytes_per_token, 4242);
}

TEST(ServeSimCostFit, FitsTheTypicalIterationAndKeepsPreemptionsAsJitter) {
  // A quarter of the prefills 1 ms slower (a loaded machine), as many of each size: the fit
  // goes through the others (the typical iteration), and the jitter keeps the delayed ones,
  // so the model's mean iteration is the measured mean again.
  std::vector<PrefillSample> p;
  std::vector<DecodeSample> d;
  for (int i = 0; i < 16; ++i) {
    const double tokens = 8 + 4 * (i % 4);       // four prompt sizes, each delayed once of four times
    const double delay = i / 4 == 0 ? 1e-3 : 0.0;
    p.push_back({tokens, true_prefill(tokens) + delay});
    d.push_back({1.0 + i % 3, 30.0 + 10 * i, true_decode(1.0 + i % 3, 30.0 + 10 * i)});
  }
  const CostFit f = fit_cost_model(p, d, CostModel{});
  EXPECT_NEAR(f.model.prefill_fixed_s, 2e-3, 1e-7);
  EXPECT_NEAR(f.model.prefill_s_per_token, 5e-5, 1e-8);
  EXPECT_GT(f.prefill_rms_s, 3e-4);
  const auto& q = f.model.prefill_jitter;
  ASSERT_EQ(q.size(), 16u);
  EXPECT_TRUE(std::is_sorted(q.begin(), q.end()));
  EXPECT_NEAR(q[11], 1.0, 1e-3);
  EXPECT_GT(q[12], 1.2);
  double fitted_mean = 0, measured_mean = 0;
  for (const auto& s : p) {
    const double fitted = f.model.prefill_fixed_s + f.model.prefill_s_per_token * s.prompt_tokens;
    measured_mean += s.seconds / 16;
    for (const double j : q) fitted_mean += fitted * j / (16 * 16);
  }
  EXPECT_NEAR(fitted_mean, measured_mean, 0.05 * measured_mean);
}

TEST(ServeSimCostFit, KeepsCoefficientsNonNegativeAndDropsWhatDoesNotVary) {
  std::vector<PrefillSample> p;
  std::vector<DecodeSample> d;
  for (int i = 0; i < 10; ++i) {
    p.push_back({16, 3e-3 + (i % 2 ? 1e-4 : -1e-4)});  // one prompt size: the per-token cost cannot be told apart
    // Decode time falling with the batch (no such machine): per_seq is held at 0, refitted.
    const double batch = 1 + i, context = 50 + 7 * i;
    d.push_back({batch, context, 5e-3 - 1e-4 * batch + 1e-6 * context});
  }
  const CostFit f = fit_cost_model(p, d, CostModel{});
  EXPECT_EQ(f.model.prefill_s_per_token, 0);
  EXPECT_NEAR(f.model.prefill_fixed_s, 3e-3, 1.01e-4);  // any median of 2.9 and 3.1 ms
  EXPECT_EQ(f.model.decode_s_per_seq, 0);
  EXPECT_GE(f.model.decode_fixed_s, 0);
  EXPECT_GE(f.model.decode_s_per_context_token, 0);
  EXPECT_NO_THROW(validate(f.model, InstanceShape{}));
}

TEST(ServeSimCostFit, RefusesTooFewOrBadSamples) {
  std::vector<PrefillSample> p(8, PrefillSample{10, 1e-3});
  std::vector<DecodeSample> d(8, DecodeSample{2, 20, 1e-3});
  EXPECT_EQ(fit_error({p.begin(), p.begin() + 3}, d), "too few prefill iterations to fit: 3, at least 8");
  EXPECT_EQ(fit_error(p, {}), "too few decode iterations to fit: 0, at least 8");
  auto bad = d;
  bad[5].seconds = -1;
  EXPECT_EQ(fit_error(p, bad), "a decode sample is negative or not finite");
  EXPECT_EQ(fit_error(p, d), "accepted");
}

// Prefill 0.1 s per prompt token, a decode step 10 ms, transfers 10 ms per token
// (serve_sim_hand_costs.hpp), KV never binding here.
ClusterOptions hand_cluster(int instances, int batch_limit) {
  ClusterOptions c;
  c.instances = instances;
  c.batch_limit = batch_limit;
  c.cost = hand_costs();
  return c;
}

TEST(ServeSimGptServeScheduling, PrefillThenDecodeIteration) {
  // A at 0 s (10 prompt, 3 output), B at 0.5 s (5 prompt, 2 output), one instance.
  // gpt-serve's loop: A prefills 0 -> 1.0, its decode step 1.0 -> 1.01 (A's 2nd token);
  // B prefills 1.01 -> 1.51, then one step of both 1.51 -> 1.52 (A's 3rd, B's 2nd: done).
  const std::vector<serve::TraceEntry> two = {{0.0, 10, 3}, {0.5, 5, 2}};
  ClusterOptions c = hand_cluster(1, 2);
  c.iteration = "prefill_then_decode";
  const auto r = simulate(c, two);
  EXPECT_NEAR(r.timings[0].first_token_s, 1.0, 1e-12);
  EXPECT_NEAR(r.timings[1].first_token_s, 1.51, 1e-12);
  EXPECT_NEAR(r.timings[0].finish_s, 1.52, 1e-12);
  EXPECT_NEAR(r.timings[1].finish_s, 1.52, 1e-12);
  EXPECT_NEAR(serve::tpot(r.timings[0]), 0.26, 1e-12);
  // The default (vLLM's order) prefills B as soon as A's prefill ends: B's first token at 1.5.
  EXPECT_NEAR(simulate(hand_cluster(1, 2), two).timings[1].first_token_s, 1.5, 1e-12);
  // The quadratic part: 10 ms per attention pair adds 55 pairs x 10 ms to A's prefill (1.55 s)
  // and 15 x 10 ms to B's.
  c.cost.prefill_s_per_attention_pair = 0.01;
  const auto q = simulate(c, two);
  EXPECT_NEAR(q.timings[0].first_token_s, 1.55, 1e-12);
  EXPECT_NEAR(q.timings[1].first_token_s, 1.56 + 0.65, 1e-12);
}

TEST(ServeSimGptServeScheduling, JitterScalesIterationsAndIsReproducible) {
  const std::vector<serve::TraceEntry> two = {{0.0, 10, 3}, {0.5, 5, 2}};
  ClusterOptions c = hand_cluster(1, 2);
  c.iteration = "prefill_then_decode";
  c.cost.prefill_jitter = {2.0};
  c.cost.decode_jitter = {2.0};
  // Every iteration twice as long: A prefills 0 -> 2.0, decodes -> 2.02; B prefills 2.02 -> 3.02.
  const auto doubled = simulate(c, two);
  EXPECT_NEAR(doubled.timings[0].first_token_s, 2.0, 1e-12);
  EXPECT_NEAR(doubled.timings[1].first_token_s, 3.02, 1e-12);
  EXPECT_NEAR(doubled.timings[0].finish_s, 3.04, 1e-12);
  // Drawn factors: the same seed the same run, another seed another one.
  c.cost.prefill_jitter = {0.5, 1.0, 3.0};
  c.cost.decode_jitter = {0.5, 1.0, 3.0};
  serve::WorkloadOptions w;
  w.rate = 3;
  w.duration_s = 5;
  const auto requests = serve::workload_entries(w);
  const auto a = simulate(c, requests), b = simulate(c, requests);
  EXPECT_EQ(a.timings.back().finish_s, b.timings.back().finish_s);
  c.jitter_seed = 2;
  EXPECT_NE(simulate(c, requests).timings.back().finish_s, a.timings.back().finish_s);
  c.cost.decode_jitter = {1.0, -1.0};
  EXPECT_THROW(validate(c), std::invalid_argument);
}

TEST(ServeSimGptServeScheduling, RoundRobinDispatchFollowsRequestIds) {
  // Batch limit 1. Request 0 (10 prompt, 11 output) keeps instance 0 busy until 1.1 s;
  // request 1 is done on instance 1 by 0.11 s; request 2 arrives at 0.2 s. Least loaded
  // sends it to the idle instance 1 (TTFT 0.1 s); round robin (2 mod 2) to instance 0, where
  // it waits for request 0 to finish (prefill 1.1 -> 1.2, TTFT 1.0 s).
  const std::vector<serve::TraceEntry> three = {{0.0, 10, 11}, {0.0, 1, 2}, {0.2, 1, 2}};
  ClusterOptions c = hand_cluster(2, 1);
  EXPECT_NEAR(serve::ttft(simulate(c, three).timings[2]), 0.1, 1e-12);
  c.dispatch = "round_robin";
  const auto r = simulate(c, three);
  EXPECT_NEAR(serve::ttft(r.timings[2]), 1.0, 1e-12);
  EXPECT_NEAR(r.timings[0].finish_s, 1.1, 1e-12);
}

TEST(ServeSimGptServeScheduling, RoundRobinSendsPrefilledRequestsToDecodeInstancesById) {
  // 1 prefill and 2 decode instances (1 and 2), batch limit 1, 1-token prompts (transfers
  // 10 ms). Request 0 decodes on instance 1 from 0.11 s to 0.41 s; request 1 is done on
  // instance 2 at 0.22 s; request 2 is prefilled 0.2 -> 0.3 s and transferred by 0.31 s.
  // Least loaded sends it to the idle instance 2 (done at 0.32 s); round robin, as gpt-serve
  // (decode rank P + id mod D), to instance 1, where it waits for request 0 (done at 0.42 s).
  const std::vector<serve::TraceEntry> three = {{0.0, 1, 31}, {0.0, 1, 2}, {0.2, 1, 2}};
  ClusterOptions c = hand_cluster(3, 1);
  c.placement = "disaggregated";
  c.prefill_instances = 1;
  EXPECT_NEAR(simulate(c, three).timings[2].finish_s, 0.32, 1e-9);
  c.dispatch = "round_robin";
  const auto r = simulate(c, three);
  EXPECT_NEAR(r.timings[0].finish_s, 0.41, 1e-9);
  EXPECT_NEAR(r.timings[2].finish_s, 0.42, 1e-9);
}

TEST(ServeSimGptServeScheduling, UnknownPoliciesAreRefused) {
  ClusterOptions c = hand_cluster(1, 2);
  c.dispatch = "random";
  EXPECT_THROW(validate(c), std::invalid_argument);
  try {
    validate(c);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--dispatch: least_loaded or round_robin, got 'random'");
  }
  c = hand_cluster(1, 2);
  c.iteration = "decode_first";
  try {
    validate(c);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--iteration: prefill_or_decode or prefill_then_decode, got 'decode_first'");
  }
}

// The machine's speed from speed probes: the median probe time (a preempted probe does not
// move it) times the contention (running + waiting) / running; by hand.
TEST(ServeSimMachineSpeed, MedianProbeTimesContention) {
  EXPECT_DOUBLE_EQ(probe_speed({{3e-4, 1e-4, 2e-4, 9e-3}, 0, 0}), 2.5e-4);  // no CPU account: the median
  EXPECT_DOUBLE_EQ(probe_speed({{2e-4, 1e-4, 5e-2}, 2.0, 0}), 2e-4);        // the core all the rank's
  EXPECT_DOUBLE_EQ(probe_speed({{2e-4, 1e-4, 5e-2}, 2.0, 1.0}), 3e-4);      // waited half as long as it ran
  EXPECT_DOUBLE_EQ(speed_scale(3e-4, 2e-4), 1.5);
  const MachineSpeed parts = machine_speed({{2e-4, 1e-4, 5e-2}, 2.0, 1.0});
  EXPECT_DOUBLE_EQ(parts.probe_s, 2e-4);
  EXPECT_DOUBLE_EQ(parts.contention, 1.5);
}

TEST(ServeSimMachineSpeed, ScalesTheComputeCostsOnly) {
  CostModel m = hand_costs();
  m.prefill_fixed_s = 0.001, m.prefill_s_per_attention_pair = 1e-9, m.decode_s_per_seq = 1e-4, m.decode_s_per_context_token = 1e-6;
  m.decode_jitter = {0.9, 1.2};
  m.wake_delay_s = {1e-4};
  const CostModel s = at_speed(m, 1.5);
  EXPECT_DOUBLE_EQ(s.prefill_fixed_s, 0.0015);
  EXPECT_DOUBLE_EQ(s.prefill_s_per_token, 1.5 * m.prefill_s_per_token);
  EXPECT_DOUBLE_EQ(s.prefill_s_per_attention_pair, 1.5e-9);
  EXPECT_DOUBLE_EQ(s.decode_fixed_s, 1.5 * m.decode_fixed_s);
  EXPECT_DOUBLE_EQ(s.decode_s_per_seq, 1.5e-4);
  EXPECT_DOUBLE_EQ(s.decode_s_per_context_token, 1.5e-6);
  // What the machine's speed does not set stays: KV, bandwidth, the jitter's factors, wake-ups.
  EXPECT_EQ(s.kv_bytes_per_token, m.kv_bytes_per_token);
  EXPECT_EQ(s.kv_bandwidth_bytes_per_s, m.kv_bandwidth_bytes_per_s);
  EXPECT_EQ(s.decode_jitter, m.decode_jitter);
  EXPECT_EQ(s.wake_delay_s, m.wake_delay_s);
  // A decode step of a simulated instance takes 1.5 times as long.
  EXPECT_DOUBLE_EQ(decode_step_time(s, InstanceShape{}, 4, 100), 1.5 * decode_step_time(m, InstanceShape{}, 4, 100));
}

// More contention: the jitter's preemptions (factors above 1) stretched so that the factors'
// mean grows by the ratio, each set (quantiles, sequences of a kind) by its own k; by hand:
// {0.9, 1, 1.5, 3} sum 6.4, excess 2.5; ratio 1.25: k = 1 + 0.25 x 6.4 / 2.5 = 1.64; ratio 0.8:
// k = 0.488. The costs stay; a model without jitter is unchanged.
TEST(ServeSimMachineSpeed, ContentionStretchesThePreemptions) {
  CostModel m = hand_costs();
  m.decode_jitter = {0.9, 1.0, 1.5, 3.0};
  m.decode_jitter_runs = {{0.9, 1.0}, {1.5, 3.0}};
  m.jitter_block_steps = 64;
  const CostModel more = with_contention(m, 1.25);
  ASSERT_EQ(more.decode_jitter.size(), 4u);
  EXPECT_DOUBLE_EQ(more.decode_jitter[0], 0.9);
  EXPECT_DOUBLE_EQ(more.decode_jitter[1], 1.0);
  EXPECT_NEAR(more.decode_jitter[2], 1.82, 1e-12);
  EXPECT_NEAR(more.decode_jitter[3], 4.28, 1e-12);
  EXPECT_NEAR(more.decode_jitter_runs[1][1], 4.28, 1e-12);
  EXPECT_DOUBLE_EQ(more.decode_fixed_s, m.decode_fixed_s);
  const CostModel less = with_contention(m, 0.8);
  EXPECT_NEAR(less.decode_jitter[3], 1.976, 1e-12);
  double sum = 0;
  for (const double f : less.decode_jitter) sum += f;
  EXPECT_NEAR(sum, 0.8 * 6.4, 1e-12);
  EXPECT_TRUE(with_contention(hand_costs(), 2.0).decode_jitter.empty());
  EXPECT_THROW(with_contention(m, 0), std::invalid_argument);
}

TEST(ServeSimMachineSpeed, RefusesBadProbesAndScales) {
  auto error = [](auto f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_CONTAINS(error([] { probe_speed({}); }), "no speed probes");
  EXPECT_CONTAINS(error([] { probe_speed({{1e-4, 0}, 0, 0}); }), "not a positive number");
  EXPECT_CONTAINS(error([] { probe_speed({{1e-4, std::nan("")}, 0, 0}); }), "not a positive number");
  EXPECT_CONTAINS(error([] { probe_speed({{1e-4}, -1, 0}); }), "not negative");
  EXPECT_CONTAINS(error([] { probe_speed({{1e-4}, 0, 1}); }), "waiting without any running");
  EXPECT_CONTAINS(error([] { speed_scale(0, 1e-4); }), "must be positive");
  EXPECT_CONTAINS(error([] { speed_scale(1e-4, -1e-4); }), "must be positive");
  EXPECT_CONTAINS(error([] { at_speed(CostModel{}, 0.001); }), "from 0.01 to 100");
  EXPECT_CONTAINS(error([] { at_speed(CostModel{}, std::nan("")); }), "from 0.01 to 100");
}

}  // namespace
}  // namespace orrery::sim
