// serve-sim's simulator: the event queue's order, conservation (every request finishes once,
// no batch above its limit, no KV above capacity), a hand-computed case for colocated and
// disaggregated placement, and the refusals of bad inputs.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"
#include "sim/cluster_sim.hpp"
#include "serve_sim_hand_costs.hpp"
#include "sim/event_queue.hpp"

namespace orrery::sim {
namespace {

TEST(ServeSimEventQueue, OrdersByTimeThenBySchedulingOrder) {
  EventQueue<int> q;
  const double times[] = {3.0, 1.0, 2.0, 1.0, 3.0, 1.0, 0.5};
  for (int i = 0; i < 7; ++i) q.push(times[i], i);
  std::vector<int> order;
  while (!q.empty()) order.push_back(q.pop().payload);
  EXPECT_EQ(order, (std::vector<int>{6, 1, 3, 5, 2, 0, 4}));
  EXPECT_EQ(q.scheduled(), 7u);
}

TEST(ServeSimEventQueue, StaysOrderedWhenPushedWhilePopping) {
  EventQueue<int> q;
  for (int i = 0; i < 50; ++i) q.push((i * 37) % 11, i);
  double last_time = -1;
  std::uint64_t last_seq = 0;
  for (int popped = 0; !q.empty(); ++popped) {
    const auto e = q.pop();
    ASSERT_TRUE(e.time > last_time || (e.time == last_time && e.seq > last_seq)) << popped;
    last_time = e.time;
    last_seq = e.seq;
    if (popped < 20) q.push(e.time + (popped % 3), 100 + popped);  // later or equal times
  }
}

// Costs that make the hand computation exact (serve_sim_hand_costs.hpp).
ClusterOptions hand_cluster(const std::string& placement) {
  ClusterOptions c;
  c.placement = placement;
  c.instances = placement == "colocated" ? 1 : 2;
  c.prefill_instances = 1;
  c.batch_limit = 2;
  c.cost = hand_costs();
  return c;
}

// A: at 0 s, 10 prompt tokens, 3 output tokens; B: at 0.5 s, 5 prompt tokens, 2 output tokens.
const std::vector<serve::TraceEntry> kTwoRequests = {{0.0, 10, 3}, {0.5, 5, 2}};

TEST(ServeSimCluster, ColocatedHandComputedCase) {
  // A prefills 0 -> 1.0 (first token). B waits, prefills 1.0 -> 1.5, stalling A's decode.
  // Decode steps of both: 1.51 (B's 2nd token, done), 1.52 (A's 3rd, done).
  const auto r = simulate(hand_cluster("colocated"), kTwoRequests);
  const auto& a = r.timings[0];
  const auto& b = r.timings[1];
  EXPECT_NEAR(serve::ttft(a), 1.0, 1e-12);
  EXPECT_NEAR(serve::ttft(b), 1.0, 1e-12);
  EXPECT_NEAR(a.finish_s, 1.52, 1e-12);
  EXPECT_NEAR(b.finish_s, 1.51, 1e-12);
  EXPECT_NEAR(serve::tpot(a), 0.26, 1e-12);
  EXPECT_NEAR(serve::tpot(b), 0.01, 1e-12);
  EXPECT_EQ(r.stats.max_batch, 2);
  EXPECT_EQ(r.stats.output_tokens, 5);
}

TEST(ServeSimCluster, DisaggregatedHandComputedCase) {
  // A prefills 0 -> 1.0, transfers 10 tokens (0.1 s) -> 1.1, decodes 1.11, 1.12.
  // B prefills 1.0 -> 1.5 (the prefill instance was busy), transfers 0.05 s -> 1.55, decodes 1.56.
  // No prefill stalls a decode: A's TPOT falls from 0.26 to 0.06, at the price of the transfer.
  const auto r = simulate(hand_cluster("disaggregated"), kTwoRequests);
  const auto& a = r.timings[0];
  const auto& b = r.timings[1];
  EXPECT_NEAR(serve::ttft(a), 1.0, 1e-12);
  EXPECT_NEAR(serve::ttft(b), 1.0, 1e-12);
  EXPECT_NEAR(a.finish_s, 1.12, 1e-12);
  EXPECT_NEAR(b.finish_s, 1.56, 1e-12);
  EXPECT_NEAR(serve::tpot(a), 0.06, 1e-12);
  EXPECT_NEAR(serve::tpot(b), 0.06, 1e-12);
  // With a TPOT SLO of 0.1 s colocated meets 1 of 2, disaggregated both.
  const serve::Slo slo{2.0, 0.1};
  EXPECT_EQ(serve::summarize(simulate(hand_cluster("colocated"), kTwoRequests).timings, slo).met_slo, 1);
  EXPECT_EQ(serve::summarize(r.timings, slo).met_slo, 2);
}

TEST(ServeSimCluster, ConservationUnderLoad) {
  serve::WorkloadOptions w;
  w.rate = 150;
  w.duration_s = 2;
  w.arrival = "gamma";
  w.prompt = {4, 64};
  w.output = {1, 32};
  w.lengths = "lognormal";
  const auto requests = serve::workload_entries(w);
  ASSERT_GT(requests.size(), 100u);
  for (const std::string placement : {"colocated", "disaggregated"}) {
    ClusterOptions c;
    c.placement = placement;
    c.instances = 3;
    c.prefill_instances = 1;
    c.batch_limit = 4;
    c.cost.kv_bytes_per_token = 1000;
    c.cost.kv_capacity_bytes_per_gpu = 120 * 1000;  // 120 tokens: the KV limits admission too
    c.cost.decode_s_per_context_token = 1e-5;
    const auto r = simulate(c, requests);
    long tokens = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      ASSERT_EQ(r.finishes[i], 1) << placement << " request " << i;
      const auto& t = r.timings[i];
      EXPECT_LE(t.arrival_s, t.first_token_s) << i;
      EXPECT_LE(t.first_token_s, t.finish_s) << i;
      EXPECT_EQ(t.output_tokens, requests[i].output_tokens);
      tokens += requests[i].output_tokens;
    }
    EXPECT_EQ(r.stats.output_tokens, tokens);
    EXPECT_LE(r.stats.max_batch, c.batch_limit) << placement;
    EXPECT_EQ(r.stats.max_batch, c.batch_limit) << placement << ": the load should fill a batch";
    EXPECT_LE(r.stats.max_kv_tokens, r.stats.kv_capacity_tokens) << placement;
    EXPECT_EQ(r.stats.kv_capacity_tokens, 120);
    // The same inputs give the same run.
    const auto again = simulate(c, requests);
    EXPECT_EQ(again.stats.events, r.stats.events);
    EXPECT_EQ(again.timings.back().finish_s, r.timings.back().finish_s);
  }
}

TEST(ServeSimCluster, ShapeScalesCostsAndCapacity) {
  ClusterOptions c = hand_cluster("colocated");
  c.shape = {2, 2};
  c.cost.tp_efficiency = 0.5;  // tp 2 at 50 %: no faster
  c.cost.pp_hop_s = 0.001;     // one stage boundary per iteration
  const auto r = simulate(c, kTwoRequests);
  EXPECT_NEAR(serve::ttft(r.timings[0]), 1.001, 1e-12);
  EXPECT_EQ(r.stats.kv_capacity_tokens, 4000);  // 4 GPUs of 1000 tokens
  c.cost.tp_efficiency = 1.0;
  EXPECT_NEAR(serve::ttft(simulate(c, kTwoRequests).timings[0]), 0.501, 1e-12);
}

TEST(ServeSimCluster, BadInputsAreRefusedWithReasons) {
  auto refused = [](const ClusterOptions& c, const std::vector<serve::TraceEntry>& req) -> std::string {
    try {
      simulate(c, req);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  ClusterOptions c = hand_cluster("disaggregated");
  c.prefill_instances = 2;
  EXPECT_EQ(refused(c, kTwoRequests),
            "--prefill_instances 2: more prefill instances than the 2 instances allow (disaggregated serving needs at least one decode instance)");
  c = hand_cluster("colocated");
  c.cost.kv_capacity_bytes_per_gpu = 12 * 1000;
  EXPECT_EQ(refused(c, kTwoRequests), "request 0 needs 13 tokens of KV cache, more than an instance holds (12)");
  c = hand_cluster("colocated");
  c.cost.kv_bandwidth_bytes_per_s = 0;
  EXPECT_EQ(refused(c, kTwoRequests), "--kv_gbps: must be greater than 0");
  c = hand_cluster("colocated");
  c.cost.prefill_s_per_token = -1;
  EXPECT_EQ(refused(c, kTwoRequests), "--prefill_ms_per_token: must not be negative");
  c = hand_cluster("colocated");
  c.batch_limit = 0;
  EXPECT_EQ(refused(c, kTwoRequests), "--batch_limit: must be at least 1");
  c = hand_cluster("colocated");
  c.placement = "both";
  EXPECT_EQ(refused(c, kTwoRequests), "--placement: colocated or disaggregated, got 'both'");
  // The workload's and the SLO's own checks (gpt-serve's code) hold here too.
  serve::WorkloadOptions w;
  w.rate = 0;
  EXPECT_THROW(serve::validate(w), std::invalid_argument);
  EXPECT_THROW(serve::validate(serve::Slo{0.0, 0.1}), std::invalid_argument);
  EXPECT_THROW(serve::validate(serve::Slo{1.0, -0.1}), std::invalid_argument);
}

}  // namespace
}  // namespace orrery::sim
