// gpt-serve's engine without MPI, on a tiny random model: the paged forward gives the
// training forward's logits; continuous batching (requests joining at different token
// boundaries) gives every request the tokens it gets alone, greedy and sampled; a
// prefill-only engine handing KV caches to a decode engine (disaggregated) gives the same
// tokens again; every KV block is freed; impossible requests are refused. Tiny sizes:
// these also run under ASan/UBSan at -O0.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpt/model.hpp"
#include "serve/engine.hpp"
#include "serve/kv_cache.hpp"
#include "serve/paged_model.hpp"
#include "serve/probe_schedule.hpp"
#include "serve/speed_probe.hpp"

namespace {

using namespace orrery::serve;
using orrery::gpt::Gpt;
using orrery::gpt::ModelConfig;

constexpr ModelConfig kShape{32, 24, 2, 2, 16};  // vocab, context, layers, heads, channels

// Weights at ten times GPT-2's initial scale: logits of order 1, so greedy choices are not
// near-ties that a different float summation order could flip.
Gpt tiny_model() {
  Gpt m(kShape);
  m.init_weights(7);
  for (auto& w : m.params()) w *= 10.0f;
  return m;
}

std::vector<Request> requests() {
  // Prompt lengths and outputs that cross block boundaries (block size 4) at different steps.
  std::vector<Request> out;
  const int lengths[][2] = {{5, 6}, {3, 9}, {8, 1}, {1, 7}, {6, 4}, {4, 12}, {2, 5}};
  for (int i = 0; i < 7; ++i) {
    Request r;
    r.id = i;
    for (int t = 0; t < lengths[i][0]; ++t) r.prompt.push_back((i * 7 + t * 5 + 1) % kShape.vocab);
    r.max_new_tokens = lengths[i][1];
    out.push_back(r);
  }
  return out;
}

using Outputs = std::map<std::int64_t, std::vector<int>>;

void collect(Outputs& out, const std::vector<GeneratedToken>& tokens) {
  for (const auto& g : tokens) {
    auto& seq = out[g.request];
    ASSERT_EQ(static_cast<int>(seq.size()), g.index);
    seq.push_back(g.token);
  }
}

// Every request alone: an engine with a batch of one, a fresh pool each time.
Outputs one_at_a_time(const Gpt& model, const SamplingOptions& sampling) {
  Outputs out;
  for (const auto& r : requests()) {
    KvBlockPool pool(16, 4, kShape.layers, kShape.channels);
    Engine e(model, pool, {1, sampling, false});
    e.submit(r);
    while (!e.idle()) {
      collect(out, e.prefill());
      collect(out, e.decode());
    }
    EXPECT_EQ(pool.used_blocks(), 0);
  }
  return out;
}

// Continuous batching: requests arrive one every other iteration, batch limit 3, a pool
// small enough that admission waits for blocks.
Outputs continuous(const Gpt& model, const SamplingOptions& sampling, double* peak_occupancy) {
  Outputs out;
  KvBlockPool pool(10, 4, kShape.layers, kShape.channels);
  Engine e(model, pool, {3, sampling, false});
  const auto all = requests();
  std::size_t next = 0;
  bool batch_joined_mid_decode = false;
  for (int iteration = 0; next < all.size() || !e.idle(); ++iteration) {
    if (iteration % 2 == 0 && next < all.size()) e.submit(all[next++]);
    const std::size_t before = e.running();
    const auto first = e.prefill();
    if (before > 0 && !first.empty()) batch_joined_mid_decode = true;
    collect(out, first);
    collect(out, e.decode());
    *peak_occupancy = std::max(*peak_occupancy, pool.occupancy());
    EXPECT_LE(e.running(), 3u);
  }
  EXPECT_TRUE(batch_joined_mid_decode) << "no request joined a running batch";
  EXPECT_EQ(pool.used_blocks(), 0);
  return out;
}

// Disaggregated: a prefill-only engine hands sequences to a decode engine with its own pool.
Outputs disaggregated(const Gpt& model, const SamplingOptions& sampling) {
  Outputs out;
  KvBlockPool prefill_pool(10, 4, kShape.layers, kShape.channels), decode_pool(12, 4, kShape.layers, kShape.channels);
  Engine prefill(model, prefill_pool, {2, sampling, true});
  Engine decode(model, decode_pool, {3, sampling, false});
  for (const auto& r : requests()) prefill.submit(r);
  std::vector<PrefillHandoff> waiting;
  while (!prefill.idle() || !waiting.empty() || !decode.idle()) {
    collect(out, prefill.prefill());
    EXPECT_EQ(prefill_pool.used_blocks(), 0);  // handed off or finished: nothing stays on the prefill side
    for (auto& h : prefill.take_handoffs()) {
      EXPECT_EQ(h.kv.size(), kv_floats(prefill_pool, h.length));
      waiting.push_back(std::move(h));
    }
    while (!waiting.empty() && decode.can_adopt(waiting.front())) {
      decode.adopt(waiting.front());
      waiting.erase(waiting.begin());
    }
    collect(out, decode.decode());
  }
  EXPECT_EQ(decode_pool.used_blocks(), 0);
  return out;
}

TEST(GptServe, PagedForwardMatchesTheTrainingForward) {
  Gpt model = tiny_model();
  PagedGpt paged(model);
  KvBlockPool pool(8, 4, kShape.layers, kShape.channels);
  std::vector<int> seq{3, 1, 4, 1, 5, 9, 2};
  BlockTable table;
  // Prefill 5, then two single-token steps; after each, the last logits equal Gpt::forward's.
  ASSERT_TRUE(reserve_positions(pool, table, 5));
  for (int end : {5, 6, 7}) {
    if (end > 5) {
      ASSERT_TRUE(reserve_positions(pool, table, end));
    }
    const int start = table.length;
    const SequenceChunk chunk{&table, seq.data() + start, end - start};
    const float* logits = paged.forward({&chunk, 1}, pool);
    std::vector<float> paged_logits(logits, logits + kShape.vocab);
    model.forward(seq.data(), nullptr, 1, end);
    const float* full = model.logits() + static_cast<std::size_t>(end - 1) * kShape.vocab;
    for (int v = 0; v < kShape.vocab; ++v) EXPECT_NEAR(paged_logits[static_cast<std::size_t>(v)], full[v], 2e-4f) << "length " << end;
    EXPECT_EQ(table.length, end);
  }
  EXPECT_EQ(table.blocks.size(), 2u);
  release_all(pool, table);
  EXPECT_EQ(pool.used_blocks(), 0);
}

TEST(GptServe, ContinuousBatchingGivesTheTokensOfOneAtATimeGreedy) {
  const Gpt model = tiny_model();
  const SamplingOptions greedy{};
  const Outputs alone = one_at_a_time(model, greedy);
  double peak = 0;
  const Outputs batched = continuous(model, greedy, &peak);
  EXPECT_EQ(batched, alone);
  EXPECT_GT(peak, 0.5);  // the small pool was really shared
  for (const auto& r : requests()) EXPECT_EQ(alone.at(r.id).size(), static_cast<std::size_t>(r.max_new_tokens));
  // Not a constant answer: the requests' outputs differ.
  EXPECT_NE(alone.at(1), alone.at(5));
}

TEST(GptServe, SampledTokensDoNotDependOnTheBatch) {
  const Gpt model = tiny_model();
  const SamplingOptions sampled{0.9f, 5, 42};
  const Outputs alone = one_at_a_time(model, sampled);
  double peak = 0;
  EXPECT_EQ(continuous(model, sampled, &peak), alone);
  EXPECT_EQ(disaggregated(model, sampled), alone);
  EXPECT_NE(alone, one_at_a_time(model, SamplingOptions{}));  // sampling is not greedy
  EXPECT_NE(alone, one_at_a_time(model, SamplingOptions{0.9f, 5, 43}));  // and depends on the seed
  EXPECT_EQ(one_at_a_time(model, SamplingOptions{0.9f, 1, 42}), one_at_a_time(model, SamplingOptions{}));  // top-1 is greedy
}

TEST(GptServe, DisaggregatedGivesTheColocatedTokens) {
  const Gpt model = tiny_model();
  double peak = 0;
  EXPECT_EQ(disaggregated(model, SamplingOptions{}), continuous(model, SamplingOptions{}, &peak));
}

// Rank 0 of a disaggregated run decodes interactive prompts itself: a prefill-only engine
// keeps requests marked decode_here in its batch (their tokens those they get alone) and
// hands the others off after their first token.
TEST(GptServe, APrefillOnlyEngineDecodesRequestsMarkedDecodeHere) {
  const Gpt model = tiny_model();
  const Outputs alone = one_at_a_time(model, SamplingOptions{});
  KvBlockPool pool(10, 4, kShape.layers, kShape.channels);
  Engine prefill(model, pool, {3, SamplingOptions{}, true});
  for (auto r : requests()) {
    r.decode_here = r.id % 2 == 1;
    prefill.submit(r);
  }
  Outputs out;
  std::vector<std::int64_t> handed;
  while (!prefill.idle()) {
    collect(out, prefill.prefill());
    collect(out, prefill.decode());
    for (const auto& h : prefill.take_handoffs()) handed.push_back(h.request.id);
  }
  EXPECT_EQ(pool.used_blocks(), 0);
  std::vector<std::int64_t> expect_handed;
  for (const auto& r : requests()) {
    if (r.id % 2 == 1) {
      EXPECT_EQ(out[r.id], alone.at(r.id)) << "request " << r.id;
    } else {
      EXPECT_EQ(out[r.id], std::vector<int>{alone.at(r.id).front()}) << "request " << r.id;
      if (r.max_new_tokens > 1) expect_handed.push_back(r.id);
    }
  }
  EXPECT_EQ(handed, expect_handed);
}

TEST(GptServe, KvPoolBlocksTablesAndTransfer) {
  KvBlockPool pool(3, 2, 1, 2);
  BlockTable a, b;
  ASSERT_TRUE(reserve_positions(pool, a, 3));  // 2 blocks
  EXPECT_FALSE(reserve_positions(pool, b, 3));  // all or nothing
  EXPECT_EQ(pool.free_blocks(), 1);
  EXPECT_EQ(b.blocks.size(), 0u);
  for (int t = 0; t < 3; ++t) {
    float* k = pool.key(a.blocks[static_cast<std::size_t>(t / 2)], 0, t % 2);
    k[0] = static_cast<float>(t), k[1] = 10.0f + t;
    float* v = pool.value(a.blocks[static_cast<std::size_t>(t / 2)], 0, t % 2);
    v[0] = 20.0f + t, v[1] = 30.0f + t;
  }
  a.length = 3;
  const auto kv = export_kv(pool, a);
  EXPECT_EQ(kv, (std::vector<float>{0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32}));
  release_all(pool, a);
  EXPECT_EQ(pool.free_blocks(), 3);
  import_kv(pool, b, kv.data(), 3);
  EXPECT_EQ(export_kv(pool, b), kv);
  const int first = b.blocks[0];
  release_all(pool, b);
  EXPECT_THROW(pool.release(first), std::logic_error);  // a double release is a bug, not ignored
  EXPECT_THROW(KvBlockPool(0, 2, 1, 2), std::invalid_argument);
}

TEST(GptServe, ImpossibleRequestsAreRefused) {
  const Gpt model = tiny_model();
  KvBlockPool pool(4, 4, kShape.layers, kShape.channels);
  Engine e(model, pool, {2, {}, false});
  Request r;
  r.id = 3;
  r.prompt = {1, 2, 3};
  r.max_new_tokens = 30;
  auto message = [&] {
    try {
      e.submit(r);
    } catch (const std::invalid_argument& x) {
      return std::string(x.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(message(), "request 3: prompt 3 + 30 new tokens pass the model's context of 24");
  r.max_new_tokens = 16;  // 18 positions: 5 blocks of 4, the pool has 4
  EXPECT_EQ(message(), "request 3 needs 5 KV blocks, the cache has 4");
  r.prompt = {};
  EXPECT_EQ(message(), "request 3: empty prompt");
  r.prompt = {kShape.vocab};
  EXPECT_EQ(message(), "request 3: token out of the vocabulary");
  EXPECT_TRUE(e.idle());
  EXPECT_THROW(Engine(model, pool, {0, {}, false}), std::invalid_argument);
  EXPECT_THROW(Engine(model, pool, {1, {-1.0f, 0, 1}, false}), std::invalid_argument);
}

// The speed probe does the same work every time (the same result: what makes its time a
// measure of the machine alone); the thread's CPU account grows with work done.
TEST(GptServeSpeedProbe, FixedWork) {
  SpeedProbe probe;
  const double seconds = probe.run();
  const double first = probe.checksum();
  EXPECT_GT(seconds, 0);
  EXPECT_NE(first, 0);
  probe.run();
  EXPECT_EQ(probe.checksum(), first);
  const auto before = read_thread_cpu_account();
  if (!before) GTEST_SKIP() << "no /proc/thread-self/schedstat here";
  // The kernel brings the account up to date at its ticks and switches (milliseconds), so
  // probe until it moves (gpt-serve sums the deltas over a run: the ticks' lag cancels).
  auto after = read_thread_cpu_account();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (after && after->running_s == before->running_s && std::chrono::steady_clock::now() < give_up) {
    probe.run();
    after = read_thread_cpu_account();
  }
  ASSERT_TRUE(after);
  EXPECT_GT(after->running_s, before->running_s);
  EXPECT_GE(after->waiting_s, before->waiting_s);
}

// An idle rank is probed once it has been idle kSettle_s, every interval, and only where its
// next work is at least kClearance_s away (a probe must not delay a request); it is told when
// to wake for the next probe. A busy rank is probed only when none ran for kBusyGap_s. Off
// (interval 0): never. A bad interval is refused.
TEST(GptServeSpeedProbe, ScheduleProbesSettledIdleRanksOnly) {
  using S = ProbeSchedule;
  constexpr double never = std::numeric_limits<double>::infinity();
  S s(0.02);
  // Idle from 1.0 with the next arrival far off: not yet settled; wake when it is.
  EXPECT_FALSE(s.idle(1.0, 2.0));
  EXPECT_DOUBLE_EQ(s.wake(2.0), 1.0 + S::kSettle_s);
  EXPECT_FALSE(s.idle(1.0 + 0.5 * S::kSettle_s, 2.0));  // still idle since 1.0
  EXPECT_TRUE(s.idle(1.0 + S::kSettle_s, 2.0));
  s.ran(1.0 + S::kSettle_s);
  EXPECT_DOUBLE_EQ(s.wake(2.0), 1.03);  // the next interval
  EXPECT_FALSE(s.idle(1.02, 2.0));
  EXPECT_TRUE(s.idle(1.03, 2.0));
  s.ran(1.03);
  // An arrival closer than the clearance to when the probe would be: no probe, no wake for one.
  EXPECT_EQ(s.wake(1.05 + 0.5 * S::kClearance_s), never);
  EXPECT_FALSE(s.idle(1.05, 1.05 + 0.5 * S::kClearance_s));
  EXPECT_TRUE(s.idle(1.05, 1.05 + 2 * S::kClearance_s));
  s.ran(1.05);
  // Unknown next work (a decode rank waiting for a sequence): the clearance holds.
  EXPECT_DOUBLE_EQ(s.wake(never), 1.07);
  // Work again: busy ranks are not probed until kBusyGap_s after the last probe...
  EXPECT_FALSE(s.busy(1.08));
  EXPECT_FALSE(s.busy(1.05 + 0.9 * S::kBusyGap_s));
  EXPECT_TRUE(s.busy(1.05 + S::kBusyGap_s));
  s.ran(1.05 + S::kBusyGap_s);
  // ... and idle again, it settles anew: not at once though due.
  EXPECT_FALSE(s.idle(1.4, 3.0));
  EXPECT_TRUE(s.idle(1.4 + S::kSettle_s, 3.0));

  S off(0);
  EXPECT_FALSE(off.idle(0, never));
  EXPECT_FALSE(off.idle(100, never));
  EXPECT_EQ(off.wake(never), never);
  EXPECT_FALSE(off.busy(100));
  EXPECT_THROW(S(-1), std::invalid_argument);
  EXPECT_THROW(S(std::nan("")), std::invalid_argument);
}

}  // namespace
