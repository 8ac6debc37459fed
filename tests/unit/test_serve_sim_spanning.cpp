// serve-sim's Infinite-LLM KV spanning and shared KV-transfer links: a request larger than an
// instance refused without spanning and served with it (hand-computed timeline, the debtor's
// step waiting for its creditor), a creditor's steps slowed by the tokens it lends, a spanning
// request waiting for the cluster's free KV, every borrowed block returned, the placement of
// loans; and transfers sharing a link taking longer by hand-computed amounts, bytes conserved.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"
#include "serve_sim_hand_costs.hpp"
#include "sim/cluster_sim.hpp"
#include "sim/kv_spanning.hpp"
#include "sim/link_sharing.hpp"

namespace orrery::sim {
namespace {

// Two colocated instances of 1,000 KV tokens; prefill 1 ms per token, a decode step 10 ms plus
// 0.1 ms per context token; a creditor's hop 1 ms.
ClusterOptions spanning_cluster(bool spanning) {
  ClusterOptions c;
  c.instances = 2;
  c.batch_limit = 2;
  c.cost = hand_costs();
  c.cost.prefill_s_per_token = 1e-3;
  c.cost.decode_s_per_context_token = 1e-4;
  c.kv_spanning = spanning;
  c.kv_span_hop_s = 1e-3;
  return c;
}

// 1,500 prompt tokens + 3 output tokens: 1,503 tokens of KV, more than an instance's 1,000.
const serve::TraceEntry kLong{0.0, 1500, 3};

void expect_all_returned(const SimResult& r) {
  EXPECT_EQ(r.stats.kv_lent_at_end, 0);
  for (std::size_t i = 0; i < r.stats.instance_kv_at_end.size(); ++i) EXPECT_EQ(r.stats.instance_kv_at_end[i], 0) << "instance " << i;
}

TEST(ServeSimSpanning, LongRequestRefusedWithoutSpanningServedWithIt) {
  const std::vector<serve::TraceEntry> one = {kLong};
  try {
    simulate(spanning_cluster(false), one);
    FAIL() << "a request larger than an instance was admitted without spanning";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("needs 1503 tokens of KV cache, more than an instance holds (1000"), std::string::npos) << e.what();
  }
  const auto r = simulate(spanning_cluster(true), one);
  ASSERT_EQ(r.finishes[0], 1);
  // Instance 0 keeps 1,000 tokens and borrows 503 on instance 1. Prefill 0 -> 1.5 s. Step 1
  // (context 1,501): local 10 ms + 1,000 x 0.1 ms = 0.11 s, plus the creditor's 501 tokens:
  // 1 ms hop + 50.1 ms -> 0.1611 s. Step 2 (context 1,502): 0.11 + 0.001 + 0.0502 = 0.1612 s.
  EXPECT_NEAR(serve::ttft(r.timings[0]), 1.5, 1e-12);
  EXPECT_NEAR(r.timings[0].finish_s, 1.5 + 0.1611 + 0.1612, 1e-9);
  EXPECT_NEAR(serve::tpot(r.timings[0]), (0.1611 + 0.1612) / 2, 1e-9);
  EXPECT_EQ(r.stats.spanning_requests, 1);
  EXPECT_EQ(r.stats.kv_borrowed_tokens, 503);
  EXPECT_EQ(r.stats.max_kv_lent_tokens, 503);
  EXPECT_EQ(r.stats.instance_max_kv_tokens, (std::vector<long>{1000, 503}));
  expect_all_returned(r);
}

TEST(ServeSimSpanning, CreditorStepsAttendOverWhatTheyLend) {
  // B (10 prompt, 3 output) arrives at 1.6 s on instance 1, the creditor, while A decodes.
  const std::vector<serve::TraceEntry> two = {kLong, {1.6, 10, 3}};
  const auto r = simulate(spanning_cluster(true), two);
  const auto& b = r.timings[1];
  // B prefills 1.6 -> 1.61. Its step 1 attends over its 11 tokens and A's 501 on loan (A's
  // step 1 runs 1.5 -> 1.6611): 10 ms + 512 x 0.1 ms = 0.0612 s. Step 2: 12 + 502 (A has 2
  // tokens generated from 1.6611) -> 0.0614 s. Alone it would be 0.0111 and 0.0112 s.
  EXPECT_NEAR(serve::ttft(b), 0.01, 1e-9);
  EXPECT_NEAR(b.finish_s, 1.61 + 0.0612 + 0.0614, 1e-9);
  EXPECT_NEAR(serve::tpot(b), 0.0613, 1e-9);
  const auto alone = simulate(spanning_cluster(true), std::vector<serve::TraceEntry>{{1.6, 10, 3}});
  EXPECT_NEAR(serve::tpot(alone.timings[0]), (0.0111 + 0.0112) / 2, 1e-9);
  // The debtor's timeline does not depend on the creditor's own batch (stated model).
  EXPECT_NEAR(r.timings[0].finish_s, 1.5 + 0.1611 + 0.1612, 1e-9);
  EXPECT_EQ(r.stats.instance_max_kv_tokens, (std::vector<long>{1000, 503 + 13}));
  expect_all_returned(r);
}

TEST(ServeSimSpanning, WaitsForFreeKvAndRefusesWhatTheClusterCannotHold) {
  // C, as large as A, arrives at 0.5 s on instance 1 (the less loaded): 497 tokens free there,
  // none on instance 0, so it waits until A ends (1.8223 s), then keeps 1,000 on instance 1
  // and borrows 503 on instance 0.
  const std::vector<serve::TraceEntry> two = {kLong, {0.5, 1500, 3}};
  const auto r = simulate(spanning_cluster(true), two);
  const double a_end = 1.5 + 0.1611 + 0.1612;
  EXPECT_NEAR(r.timings[0].finish_s, a_end, 1e-9);
  EXPECT_NEAR(r.timings[1].first_token_s, a_end + 1.5, 1e-9);
  EXPECT_NEAR(r.timings[1].finish_s, a_end + 1.5 + 0.1611 + 0.1612, 1e-9);
  EXPECT_EQ(r.stats.spanning_requests, 2);
  EXPECT_EQ(r.stats.kv_borrowed_tokens, 1006);
  EXPECT_EQ(r.stats.max_kv_lent_tokens, 503);
  expect_all_returned(r);
  // 2,500 tokens: more than both instances hold together.
  try {
    simulate(spanning_cluster(true), std::vector<serve::TraceEntry>{{0.0, 2400, 100}});
    FAIL() << "a request larger than the cluster was admitted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("needs 2500 tokens of KV cache, more than the 2 instances that could hold it hold together (2000)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ServeSimSpanning, DrainKeepsShortRequestsFromStarvingALongOne) {
  // S1 (600 + 3) on instance 0 at 0 s; L (1,503) at 0.1 s on instance 1 waits (1,397 free in
  // all); S2 (300 + 3) at 0.2 s on instance 0. Without drain S2 is admitted at 0.6 (S1's prefill
  // ends) and prefills to 0.9, S1 and S2 decode together (0.1002 and 0.1004 s steps) to 1.1006,
  // and L starts then: first token 2.6006. With drain instance 0 admits nothing while L waits:
  // S1 decodes alone (0.0701, 0.0702 s) to 0.7403, L starts then (first token 2.2403, borrowing
  // 503 on instance 0), and S2 is admitted at once: prefill to 1.0403, steps 0.0401 and 0.0402.
  const std::vector<serve::TraceEntry> three = {{0.0, 600, 3}, {0.1, 1500, 3}, {0.2, 300, 3}};
  const auto greedy = simulate(spanning_cluster(true), three);
  EXPECT_NEAR(greedy.timings[2].finish_s, 1.1006, 1e-9);
  EXPECT_NEAR(greedy.timings[1].first_token_s, 2.6006, 1e-9);
  auto c = spanning_cluster(true);
  c.kv_span_drain = true;
  const auto drained = simulate(c, three);
  EXPECT_NEAR(drained.timings[0].finish_s, 0.7403, 1e-9);
  EXPECT_NEAR(drained.timings[1].first_token_s, 2.2403, 1e-9);
  EXPECT_NEAR(drained.timings[2].first_token_s, 1.0403, 1e-9);
  EXPECT_NEAR(drained.timings[2].finish_s, 1.1206, 1e-9);
  for (const auto* r : {&greedy, &drained}) {
    for (const int f : r->finishes) EXPECT_EQ(f, 1);
    expect_all_returned(*r);
  }
}

TEST(ServeSimSpanning, LoansGoWhereMostKvIsFree) {
  const std::vector<long> free_tokens = {100, 300, 500, 500, 50};
  const auto span = plan_span(free_tokens, 0, 0, 5, 1200);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->local, 100);
  ASSERT_EQ(span->loans.size(), 3u);  // 500 (instance 2, the lower index of the two), 500, 100 of 300
  EXPECT_EQ(span->loans[0].creditor, 2);
  EXPECT_EQ(span->loans[1].creditor, 3);
  EXPECT_EQ(span->loans[2].creditor, 1);
  EXPECT_EQ(span->loans[2].tokens, 100);
  EXPECT_EQ(span->borrowed(), 1100);
  // Blocks fill in order: a context of 700 tokens reads 100 locally, 500 and 100 on loan.
  EXPECT_EQ(attended_on_loan(*span, 0, 700), 500);
  EXPECT_EQ(attended_on_loan(*span, 1, 700), 100);
  EXPECT_EQ(attended_on_loan(*span, 2, 700), 0);
  EXPECT_FALSE(plan_span(free_tokens, 0, 0, 5, 1451).has_value());  // 1,450 free in all
  EXPECT_FALSE(plan_span(free_tokens, 0, 0, 2, 500).has_value());    // only instances 0 and 1
}

TEST(ServeSimSpanning, ConservationUnderLoadWithLongContexts) {
  serve::WorkloadOptions w;
  w.rate = 60;
  w.duration_s = 1;
  w.arrival = "gamma";
  w.prompt = {4, 200};
  w.output = {1, 24};
  w.lengths = "lognormal";
  auto requests = serve::workload_entries(w);
  for (std::size_t i = 0; i < requests.size(); i += 7) requests[i].prompt_tokens = 150 + static_cast<int>(i % 3) * 40;  // 150-230 of 120
  ASSERT_GT(requests.size(), 30u);
  for (const std::string placement : {"colocated", "disaggregated", "disaggregated+drain"}) {
    ClusterOptions c;
    c.placement = placement == "colocated" ? "colocated" : "disaggregated";
    c.kv_span_drain = placement == "disaggregated+drain";
    c.instances = placement == "colocated" ? 3 : 5;
    c.prefill_instances = 2;
    c.batch_limit = 4;
    c.cost.kv_bytes_per_token = 1000;
    c.cost.kv_capacity_bytes_per_gpu = 120 * 1000;  // 120 tokens: the long prompts span
    c.cost.decode_s_per_context_token = 1e-5;
    c.kv_spanning = true;
    c.link_sharing = placement != "colocated";
    const auto r = simulate(c, requests);
    for (std::size_t i = 0; i < requests.size(); ++i) ASSERT_EQ(r.finishes[i], 1) << placement << " request " << i;
    EXPECT_GT(r.stats.spanning_requests, 3) << placement;
    for (const long most : r.stats.instance_max_kv_tokens) EXPECT_LE(most, 120) << placement;
    expect_all_returned(r);
    EXPECT_DOUBLE_EQ(r.stats.link_bytes_started, r.stats.link_bytes_delivered);
    const auto again = simulate(c, requests);
    EXPECT_EQ(again.stats.events, r.stats.events);
    EXPECT_EQ(again.timings.back().finish_s, r.timings.back().finish_s);
  }
}

// Disaggregated 2 prefill + 1 decode instances with hand_costs: prefill 0.1 s per prompt
// token, a transfer 100 kB/s (10 ms per prompt token), a decode step 10 ms.
ClusterOptions transfer_cluster(bool sharing) {
  ClusterOptions c;
  c.placement = "disaggregated";
  c.instances = 3;
  c.prefill_instances = 2;
  c.batch_limit = 2;
  c.cost = hand_costs();
  c.link_sharing = sharing;
  return c;
}

TEST(ServeSimLinkSharing, TwoTransfersOnOneLinkTakeTwiceAsLong) {
  // A and B (10 prompt tokens, 3 output) prefill on instances 0 and 1, 0 -> 1.0 s; both
  // transfers arrive at instance 2 from 1.0. Alone 0.1 s each; sharing the decode instance's
  // link, half the rate each: 0.2 s. Then A's steps (+0.01, +0.02: done) and B's, which joins
  // A's batch at A's first step's end (+0.02, +0.03).
  const std::vector<serve::TraceEntry> two = {{0.0, 10, 3}, {0.0, 10, 3}};
  const auto apart = simulate(transfer_cluster(false), two);
  EXPECT_NEAR(apart.timings[0].finish_s, 1.0 + 0.1 + 0.02, 1e-9);
  EXPECT_NEAR(apart.timings[1].finish_s, 1.0 + 0.1 + 0.03, 1e-9);
  const auto shared = simulate(transfer_cluster(true), two);
  EXPECT_NEAR(shared.timings[0].finish_s, 1.0 + 0.2 + 0.02, 1e-9);
  EXPECT_NEAR(shared.timings[1].finish_s, 1.0 + 0.2 + 0.03, 1e-9);
  EXPECT_DOUBLE_EQ(shared.stats.link_bytes_started, 20000);
  EXPECT_DOUBLE_EQ(shared.stats.link_bytes_delivered, 20000);
  // One transfer alone has the whole link.
  const auto one = simulate(transfer_cluster(true), std::vector<serve::TraceEntry>{{0.0, 10, 3}});
  EXPECT_NEAR(one.timings[0].finish_s, 1.0 + 0.1 + 0.02, 1e-9);
}

TEST(ServeSimLinkSharing, RatesChangeWhenATransferEnds) {
  // B (20 prompt tokens) prefills on instance 0, 0 -> 2.0 s; A (10) on instance 1, 1.0 -> 2.0.
  // Shared: both at 50 kB/s; A's 10 kB are there at 2.2, then B's remaining 10 kB go at the full
  // 100 kB/s: 2.3. Apart: 2.1 and 2.2. Two 10 ms steps each after.
  const std::vector<serve::TraceEntry> two = {{0.0, 20, 3}, {1.0, 10, 3}};
  const auto shared = simulate(transfer_cluster(true), two);
  EXPECT_NEAR(shared.timings[1].finish_s, 2.2 + 0.02, 1e-9);
  EXPECT_NEAR(shared.timings[0].finish_s, 2.3 + 0.02, 1e-9);
  const auto apart = simulate(transfer_cluster(false), two);
  EXPECT_NEAR(apart.timings[1].finish_s, 2.1 + 0.02, 1e-9);
  EXPECT_NEAR(apart.timings[0].finish_s, 2.2 + 0.02, 1e-9);
}

TEST(ServeSimLinkSharing, ATransferMovesAtItsBusierEndsShare) {
  // Instance 0 sends to 1 and 2, instance 3 to 2: instance 2's arriving link has 2 transfers,
  // instance 0's leaving link 2: every transfer at half the bandwidth (100 B/s links).
  SharedLinks links(4, 100);
  links.start(0, 7, 0, 1, 100);
  links.start(0, 8, 0, 2, 100);
  links.start(0, 9, 3, 2, 50);
  EXPECT_DOUBLE_EQ(links.next_finish(), 1.0);  // 50 B at 50 B/s
  EXPECT_EQ(links.finish_due(1.0), std::vector<int>{9});
  // Now instance 2 has one arriving, instance 0 still two leaving: 50 B/s each; 50 B left.
  EXPECT_DOUBLE_EQ(links.next_finish(), 2.0);
  EXPECT_EQ(links.finish_due(2.0), (std::vector<int>{7, 8}));
  EXPECT_EQ(links.active(), 0u);
  EXPECT_DOUBLE_EQ(links.bytes_delivered(), 250);
}

TEST(ServeSimSpanning, BadOptionsAreRefused) {
  auto c = spanning_cluster(true);
  c.kv_span_hop_s = -1;
  EXPECT_THROW(validate(c), std::invalid_argument);
  auto colocated = spanning_cluster(false);
  colocated.link_sharing = true;
  try {
    validate(colocated);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--link_sharing: only disaggregated"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace orrery::sim
