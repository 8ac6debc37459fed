// gpt-serve's workload generator, trace reader, options and latency metrics: goodput and
// SLO attainment against a hand-computed case, arrival processes with the asked rate and
// burstiness, traces validated line by line, bad rates and SLOs refused with the option's
// name. No model: fast under ASan/UBSan.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "serve/serve_options.hpp"
#include "serve/workload.hpp"
#include "test_support.hpp"

namespace {

using namespace orrery::serve;
namespace fs = std::filesystem;

using orrery::test_support::error_of;

TEST(GptServeMetrics, GoodputOfAHandComputedCase) {
  // SLOs: TTFT 0.5 s, TPOT 0.1 s.
  //   A: arrives 0.0, first token 0.2, 11 tokens by 1.2  -> TTFT 0.2, TPOT 0.10  meets both
  //   B: arrives 0.5, first token 1.2, 5 tokens by 1.6   -> TTFT 0.7             misses TTFT
  //   C: arrives 1.0, first token 1.3, 3 tokens by 1.8   -> TTFT 0.3, TPOT 0.25  misses TPOT
  //   D: arrives 2.0, first token 2.1, 1 token at 2.1    -> TTFT 0.1, no TPOT    meets both
  //   E: arrives 3.0, first token 3.5, 6 tokens by 4.0   -> TTFT 0.5, TPOT 0.1   meets both (<=)
  // Span 0 .. 4.0 s: goodput 3 / 4.0 = 0.75 requests/s; attainment 3/5; 26 tokens / 4 s.
  const std::vector<RequestTiming> r = {
      {0.0, 0.2, 1.2, 11}, {0.5, 1.2, 1.6, 5}, {1.0, 1.3, 1.8, 3}, {2.0, 2.1, 2.1, 1}, {3.0, 3.5, 4.0, 6}};
  const Slo slo{0.5, 0.1};
  EXPECT_TRUE(meets(r[0], slo));
  EXPECT_FALSE(meets(r[1], slo));
  EXPECT_FALSE(meets(r[2], slo));
  EXPECT_TRUE(meets(r[3], slo));
  EXPECT_TRUE(meets(r[4], slo));
  const ServeSummary s = summarize(r, slo);
  EXPECT_EQ(s.requests, 5);
  EXPECT_EQ(s.met_slo, 3);
  EXPECT_EQ(s.output_tokens, 26);
  EXPECT_DOUBLE_EQ(s.span_s, 4.0);
  EXPECT_DOUBLE_EQ(s.goodput_rps, 0.75);
  EXPECT_DOUBLE_EQ(s.slo_attainment, 0.6);
  EXPECT_DOUBLE_EQ(s.tokens_per_s, 6.5);
  EXPECT_DOUBLE_EQ(s.requests_per_s, 1.25);
  // TTFTs sorted: 0.1 0.2 0.3 0.5 0.7 -> nearest-rank p50 0.3, p90 0.7; TPOT of the 4 multi-token: 0.1 0.1 0.1 0.25
  EXPECT_NEAR(s.ttft.p50, 0.3, 1e-12);
  EXPECT_NEAR(s.ttft.p90, 0.7, 1e-12);
  EXPECT_NEAR(s.tpot.p50, 0.1, 1e-12);
  EXPECT_NEAR(s.tpot.p90, 0.25, 1e-12);
  EXPECT_NEAR(s.e2e.mean, (1.2 + 1.1 + 0.8 + 0.1 + 1.0) / 5, 1e-12);
  // A tighter TPOT SLO: only D (a single token, no TPOT) still meets both.
  EXPECT_EQ(summarize(r, Slo{0.5, 0.05}).met_slo, 1);
}

double mean_gap(const std::vector<double>& t) { return (t.back() - t.front()) / static_cast<double>(t.size() - 1); }

double cv_of_gaps(const std::vector<double>& t) {
  std::vector<double> g;
  for (std::size_t i = 1; i < t.size(); ++i) g.push_back(t[i] - t[i - 1]);
  const double m = std::accumulate(g.begin(), g.end(), 0.0) / static_cast<double>(g.size());
  double v = 0;
  for (double x : g) v += (x - m) * (x - m);
  return std::sqrt(v / static_cast<double>(g.size())) / m;
}

TEST(GptServeWorkload, ArrivalsHaveTheRateAndBurstiness) {
  WorkloadOptions o;
  o.rate = 200;
  o.duration_s = 10;
  const auto poisson = arrival_times(o);
  EXPECT_NEAR(static_cast<double>(poisson.size()), 2000, 150);
  EXPECT_NEAR(mean_gap(poisson), 1.0 / 200, 0.0005);
  EXPECT_NEAR(cv_of_gaps(poisson), 1.0, 0.1);  // exponential gaps
  o.arrival = "gamma";
  o.gamma_shape = 0.25;  // CV 2
  const auto bursty = arrival_times(o);
  EXPECT_NEAR(mean_gap(bursty), 1.0 / 200, 0.001);
  EXPECT_NEAR(cv_of_gaps(bursty), 2.0, 0.35);
  EXPECT_TRUE(std::is_sorted(bursty.begin(), bursty.end()));
  EXPECT_LT(bursty.back(), 10.0);
  EXPECT_EQ(arrival_times(o), bursty);  // a function of the seed
  o.seed = 2;
  EXPECT_NE(arrival_times(o), bursty);
}

TEST(GptServeWorkload, LengthDistributions) {
  orrery::gpt::Rng rng(5);
  const LengthRange r{4, 64};
  std::vector<int> uniform, lognormal;
  for (int i = 0; i < 4000; ++i) {
    uniform.push_back(draw_length(rng, "uniform", r));
    lognormal.push_back(draw_length(rng, "lognormal", r));
  }
  for (const auto* v : {&uniform, &lognormal}) {
    EXPECT_EQ(*std::min_element(v->begin(), v->end()), 4);
    EXPECT_EQ(*std::max_element(v->begin(), v->end()), 64);
  }
  auto median = [](std::vector<int> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  EXPECT_NEAR(median(uniform), 34, 3);    // the range's middle
  EXPECT_NEAR(median(lognormal), 16, 2);  // the range's geometric mean: most requests short
  const auto over_40 = [](const std::vector<int>& v) { return std::count_if(v.begin(), v.end(), [](int n) { return n > 40; }); };
  EXPECT_GT(over_40(lognormal), 100);     // but a tail of long ones
  EXPECT_LT(over_40(lognormal), over_40(uniform) / 3);
  EXPECT_EQ(draw_length(rng, "lognormal", {7, 7}), 7);
  WorkloadOptions o;
  o.lengths = "zipf";
  EXPECT_EQ(error_of([&] { validate(o); }), "--lengths: uniform or lognormal, got 'zipf'");
}

TEST(GptServeWorkload, RequestsFromTheCorpus) {
  std::vector<int> corpus(500);
  std::iota(corpus.begin(), corpus.end(), 0);
  WorkloadOptions o;
  o.rate = 20;
  o.duration_s = 2;
  o.prompt = {3, 6};
  o.output = {2, 2};
  const auto rs = generate_workload(o, corpus);
  ASSERT_GT(rs.size(), 10u);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const auto& r = rs[i];
    EXPECT_EQ(r.id, static_cast<std::int64_t>(i));
    EXPECT_GE(r.prompt.size(), 3u);
    EXPECT_LE(r.prompt.size(), 6u);
    EXPECT_EQ(r.max_new_tokens, 2);
    for (std::size_t k = 1; k < r.prompt.size(); ++k) EXPECT_EQ(r.prompt[k], r.prompt[k - 1] + 1);  // a window of the corpus
  }
  o.prompt = {6, 6};
  EXPECT_EQ(error_of([&] { generate_workload(o, std::vector<int>(5)); }), "the corpus has 5 tokens, too few for a prompt of 6");
}

TEST(GptServeWorkload, TracesAreValidatedLineByLine) {
  const fs::path dir = fs::temp_directory_path() / ("orrery-test-serve-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "t.jsonl") << text;
    return (dir / "t.jsonl").string();
  };
  const auto good = write("{\"arrival_s\": 0.5, \"prompt_tokens\": 4, \"output_tokens\": 2}\n\n"
                          "{\"arrival_s\": 1.25, \"prompt_tokens\": 3, \"output_tokens\": 5}\n");
  const auto t = read_trace(good);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_DOUBLE_EQ(t[1].arrival_s, 1.25);
  EXPECT_EQ(t[1].output_tokens, 5);
  std::vector<int> corpus(100, 1);
  WorkloadOptions o;
  o.trace = good;
  const auto rs = generate_workload(o, corpus);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].prompt.size(), 4u);
  EXPECT_DOUBLE_EQ(rs[1].arrival_s, 1.25);
  const std::string p = write("{\"arrival_s\": 0.5, \"prompt_tokens\": 4, \"output_tokens\": 2}\nnot json\n");
  EXPECT_EQ(error_of([&] { read_trace(p); }), "trace " + p + " line 2: not a JSON object");
  write("{\"arrival_s\": 0.5, \"prompt_tokens\": 0, \"output_tokens\": 2}\n");
  EXPECT_EQ(error_of([&] { read_trace(p); }), "trace " + p + " line 1: 'prompt_tokens' must be an integer from 1 to 1000000");
  write("{\"arrival_s\": 2, \"prompt_tokens\": 1, \"output_tokens\": 2}\n{\"arrival_s\": 1, \"prompt_tokens\": 1, \"output_tokens\": 2}\n");
  EXPECT_EQ(error_of([&] { read_trace(p); }), "trace " + p + " line 2: arrivals must not go back in time");
  write("{\"prompt_tokens\": 1, \"output_tokens\": 2}\n");
  EXPECT_EQ(error_of([&] { read_trace(p); }), "trace " + p + " line 1: 'arrival_s' missing or not a number");
  EXPECT_EQ(error_of([&] { read_trace((dir / "none").string()); }), "trace " + (dir / "none").string() + " cannot be read");
  fs::remove_all(dir);
}

TEST(GptServeOptions, BadInputsAreNamed) {
  auto parse = [](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    bool help = false;
    return parse_serve_options(argv, help);
  };
  const std::string ck = "--checkpoint=x.h5";
  const auto o = parse({ck, "--rate=3.5", "--placement=disaggregated", "--prefill_ranks=2", "--slo_ttft_ms=250",
                        "--temperature=0.7", "--top_k=4", "--arrival=gamma", "--lengths=lognormal"});
  EXPECT_DOUBLE_EQ(o.workload.rate, 3.5);
  EXPECT_EQ(o.prefill_ranks, 2);
  EXPECT_DOUBLE_EQ(o.slo.ttft_s, 0.25);
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.7f);
  EXPECT_EQ(o.workload.arrival, "gamma");
  EXPECT_EQ(o.workload.lengths, "lognormal");
  EXPECT_EQ(error_of([&] { parse({ck, "--rate=0"}); }), "--rate: must be greater than 0 requests/s");
  EXPECT_EQ(error_of([&] { parse({ck, "--rate=-2"}); }), "--rate: must be greater than 0 requests/s");
  EXPECT_EQ(error_of([&] { parse({ck, "--slo_ttft_ms=0"}); }), "--slo_ttft_ms: must be greater than 0");
  EXPECT_EQ(error_of([&] { parse({ck, "--slo_tpot_ms=-1"}); }), "--slo_tpot_ms: must be greater than 0");
  EXPECT_EQ(error_of([&] { parse({ck, "--placement=spread"}); }), "--placement: colocated or disaggregated, got 'spread'");
  EXPECT_EQ(error_of([&] { parse({ck, "--prompt_min=5", "--prompt_max=4"}); }), "--prompt_min/max: need 1 <= min <= max, got 5 .. 4");
  EXPECT_EQ(error_of([&] { parse({ck, "--rate=fast"}); }), "--rate: expects a number, got 'fast'");
  EXPECT_EQ(error_of([&] { parse({"--rate=1"}); }), "--checkpoint: a gpt-train checkpoint file is required");
  EXPECT_EQ(error_of([&] { parse({ck, "--batch=1"}); }), "unknown option --batch");
}

}  // namespace
