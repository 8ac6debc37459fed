// What a rank prints (core/agent/stdout_line_parser.hpp): reporter lines and plain
// JSON metric lines become telemetry; everything else is ordinary text (nullopt),
// and no input, however broken, makes the parser throw.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/stdout_line_parser.hpp"

namespace {

using orrery::agent::parse_stdout_line;
using orrery::agent::ParsedLine;

std::optional<ParsedLine> parse(std::string_view line) {
  std::optional<ParsedLine> out;
  EXPECT_NO_THROW(out = parse_stdout_line(line)) << line;
  return out;
}

// Metrics as a map: the parser's order follows the JSON library's key order, not the line's.
std::map<std::string, double> metrics_of(const ParsedLine& p) {
  std::map<std::string, double> m;
  for (const auto& [k, v] : p.metrics) {
    EXPECT_EQ(m.count(k), 0u) << "duplicate metric " << k;
    m[k] = v;
  }
  return m;
}

// "ignored": either ordinary text, or a line recognised but carrying no telemetry.
bool carries_nothing(const std::optional<ParsedLine>& p) { return !p || p->empty(); }

// ---------------------------------------------------------------------------
// Lines that carry telemetry

struct MetricCase {
  const char* line;
  std::int64_t step;
  std::map<std::string, double> metrics;
};

TEST(StdoutLineParser, MetricLines) {
  const std::vector<MetricCase> cases = {
      // The Python reporter's form.
      {R"({"orrery":1,"step":3,"metrics":{"loss":0.5}})", 3, {{"loss", 0.5}}},
      {R"({"orrery": 1, "step": 12, "metrics": {"loss": 0.25, "acc": 0.75, "tokens": 1024}})", 12,
       {{"loss", 0.25}, {"acc", 0.75}, {"tokens", 1024}}},
      {R"({"orrery":1,"metrics":{"loss":2}})", -1, {{"loss", 2}}},                       // no step
      {R"({"orrery":1,"step":0,"metrics":{"loss":-1e-3,"big":1e300}})", 0, {{"loss", -1e-3}, {"big", 1e300}}},
      {R"({"orrery":1,"step":5,"metrics":{"loss":0.5,"name":"x","flag":true,"deep":{"a":1},"list":[1]}})", 5,
       {{"loss", 0.5}}},                                                                  // non-numbers skipped
      {R"({"step":4,"metrics":{"loss":1},"orrery":1})", 4, {{"loss", 1}}},                // key order free
      // The plain form: any object with an integer step and numeric fields.
      {R"({"step":2,"loss":1})", 2, {{"loss", 1}}},
      {R"({"step": 0, "loss": 0.125, "acc": 0.5, "note": "hi", "ok": false, "x": [1, 2]})", 0,
       {{"loss", 0.125}, {"acc", 0.5}}},
      {R"({"loss":7,"step":9})", 9, {{"loss", 7}}},
      {R"({"step":9223372036854775807,"v":1})", 9223372036854775807LL, {{"v", 1}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto p = parse(c.line);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->step, c.step);
    EXPECT_EQ(metrics_of(*p), c.metrics);
    EXPECT_FALSE(p->progress);
    EXPECT_FALSE(p->event);
  }
}

TEST(StdoutLineParser, NullIsNaN) {
  // The reporter writes NaN and infinities as null (JSON has no such numbers).
  auto p = parse(R"({"orrery":1,"step":3,"metrics":{"loss":null,"acc":0.5}})");
  ASSERT_TRUE(p);
  auto m = metrics_of(*p);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(std::isnan(m.at("loss")));
  EXPECT_EQ(m.at("acc"), 0.5);
  auto plain = parse(R"({"step":1,"loss":null})");
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->metrics.size(), 1u);
  EXPECT_EQ(plain->metrics[0].first, "loss");
  EXPECT_TRUE(std::isnan(plain->metrics[0].second));
}

TEST(StdoutLineParser, Progress) {
  auto p = parse(R"({"orrery":1,"progress":[30,100]})");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->progress);
  EXPECT_EQ(p->progress->first, 30);
  EXPECT_EQ(p->progress->second, 100);
  EXPECT_TRUE(p->metrics.empty());
  EXPECT_FALSE(p->event);

  auto f = parse(R"({"orrery":1,"step":7,"progress":[0.5,1.0],"metrics":{"loss":3}})");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->progress);
  EXPECT_EQ(f->progress->first, 0.5);
  EXPECT_EQ(f->progress->second, 1.0);
  EXPECT_EQ(f->step, 7);
  EXPECT_EQ(metrics_of(*f), (std::map<std::string, double>{{"loss", 3}}));
}

TEST(StdoutLineParser, Event) {
  auto p = parse(R"({"orrery":1,"step":40,"event":{"kind":"checkpoint","text":"saved step-40"}})");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->event);
  EXPECT_EQ(p->event->first, "checkpoint");
  EXPECT_EQ(p->event->second, "saved step-40");
  EXPECT_EQ(p->step, 40);
  EXPECT_TRUE(p->metrics.empty());

  auto defaults = parse(R"({"orrery":1,"event":{"text":"no kind"}})");
  ASSERT_TRUE(defaults);
  ASSERT_TRUE(defaults->event);
  EXPECT_EQ(defaults->event->first, "event");
  EXPECT_EQ(defaults->event->second, "no kind");
  EXPECT_EQ(defaults->step, -1);

  auto unicode = parse(R"({"orrery":1,"event":{"kind":"note","text":"caf\u00e9 \"quoted\""}})");
  ASSERT_TRUE(unicode);
  ASSERT_TRUE(unicode->event);
  EXPECT_EQ(unicode->event->second, "caf\xc3\xa9 \"quoted\"");
}

TEST(StdoutLineParser, TrailingCarriageReturnAndBlanks) {
  for (const char* line : {"{\"step\":2,\"loss\":1}\r", "{\"step\":2,\"loss\":1}   ", "{\"step\":2,\"loss\":1} \r \r",
                           "{\"orrery\":1,\"step\":2,\"metrics\":{\"loss\":1}}\r"}) {
    SCOPED_TRACE(line);
    auto p = parse(line);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->step, 2);
    EXPECT_EQ(metrics_of(*p), (std::map<std::string, double>{{"loss", 1}}));
  }
}

// ---------------------------------------------------------------------------
// Lines that are ordinary text or carry nothing

TEST(StdoutLineParser, OrdinaryTextIsNotTelemetry) {
  for (const char* line : {"", " ", "\r", "{", "}", "{}", "hello world", "step 3 loss 0.5", "Epoch 1/10 - loss: 0.25",
                           "loss=0.5", "0.5", "null", "true", "\"{\\\"step\\\":1}\"", "[1,2,3]",
                           "[{\"step\":1,\"loss\":2}]", "{\"step\":1,\"loss\":2} trailing", "prefix {\"step\":1,\"loss\":2}"}) {
    SCOPED_TRACE(line);
    EXPECT_FALSE(parse(line));
  }
}

TEST(StdoutLineParser, BrokenJson) {
  for (const char* line : {"{\"step\":1,\"loss\":}", "{\"step\":1,\"loss\":0.5", "{\"step\":1 \"loss\":0.5}",
                           "{step:1,loss:0.5}", "{'step':1,'loss':0.5}", "{\"step\":1,\"loss\":NaN}",
                           "{\"step\":1,\"loss\":Infinity}", "{\"step\":1,\"loss\":0.5,}", "{\"step\":01,\"loss\":1}",
                           "{\"step\":1,\"loss\":\"unterminated}", "{\"orrery\":1,\"metrics\":{\"loss\":0.5}",
                           "{\"step\":1,\"\xff\xfe\":1}", "{\"step\":1,\"loss\":1}{\"step\":2,\"loss\":2}",
                           "{\"a\":\"\\ud800\"}", "{\"step\":1,\"loss\":1e}", "{\"step\":1,\"loss\":-}"}) {
    SCOPED_TRACE(line);
    EXPECT_FALSE(parse(line));
  }
}

TEST(StdoutLineParser, PlainObjectsWithoutAnIntegerStep) {
  for (const char* line : {R"({"loss":1})", R"({"epoch":1,"loss":1})", R"({"step":"3","loss":1})",
                           R"({"step":3.5,"loss":1})", R"({"step":null,"loss":1})", R"({"step":true,"loss":1})",
                           R"({"step":[1],"loss":1})", R"({"step":-1,"loss":1})", R"({"step":-5,"loss":1})",
                           R"({"step":1})", R"({"step":1,"name":"x","ok":true})",
                           R"({"step":18446744073709551615,"loss":1})"}) {
    SCOPED_TRACE(line);
    EXPECT_TRUE(carries_nothing(parse(line)));
  }
}

TEST(StdoutLineParser, ReporterLinesWithWrongTypesCarryNothing) {
  for (const char* line : {
           R"({"orrery":1,"event":{"kind":5,"text":"x"}})",       // event kind not a string
           R"({"orrery":1,"event":{"kind":"k","text":["x"]}})",   // event text not a string
           R"({"orrery":1,"event":{"kind":null}})",
           R"({"orrery":1,"event":"boom"})",
           R"({"orrery":1,"event":["checkpoint","saved"]})",
           R"({"orrery":1,"progress":[1]})",
           R"({"orrery":1,"progress":[1,2,3]})",
           R"({"orrery":1,"progress":["1",2]})",
           R"({"orrery":1,"progress":{"done":1,"total":2}})",
           R"({"orrery":1,"progress":null})",
           R"({"orrery":1,"metrics":[1,2]})",
           R"({"orrery":1,"metrics":"loss"})",
           R"({"orrery":1,"metrics":{"loss":"0.5","ok":true,"l":[1]}})",
           R"({"orrery":1,"step":3})",
           R"({"orrery":1})",
       }) {
    SCOPED_TRACE(line);
    auto p = parse(line);
    EXPECT_TRUE(carries_nothing(p));
  }
  // A bad event does not invent telemetry from the rest of the line either.
  auto p = parse(R"({"orrery":1,"step":3,"metrics":{"loss":1},"event":{"kind":5}})");
  if (p) {
    EXPECT_FALSE(p->event);
  }
}

TEST(StdoutLineParser, HostileInputsNeverThrow) {
  // Deep nesting: the JSON library must neither recurse off the stack nor throw.
  for (std::size_t depth : {100u, 10'000u, 200'000u}) {
    std::string arrays = "{\"step\":1,\"loss\":1,\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
    auto p = parse(arrays);
    ASSERT_TRUE(p);
    EXPECT_EQ(metrics_of(*p), (std::map<std::string, double>{{"loss", 1}}));
    std::string objects = "{\"step\":1,\"x\":";
    for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(depth, '}') + "}";
    EXPECT_TRUE(carries_nothing(parse(objects)));
    std::string unbalanced = "{\"step\":1,\"x\":" + std::string(depth, '[') + "}";
    EXPECT_FALSE(parse(unbalanced));
  }
  // Long lines, embedded NULs, control characters.
  std::string long_key = "{\"step\":1,\"" + std::string(100'000, 'k') + "\":2}";
  auto p = parse(long_key);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->metrics.size(), 1u);
  EXPECT_EQ(p->metrics[0].first.size(), 100'000u);
  static const char nul_in_key[] = "{\"step\":1,\"lo\0ss\":2}";
  EXPECT_FALSE(parse(std::string(nul_in_key, sizeof nul_in_key - 1)));
  EXPECT_FALSE(parse(std::string("{\0}", 3)));
  // Random garbage between braces: never throws (checked in parse()).
  static const char alphabet[] = "\"{}[]:,0123456789.eE+-tfnul\\ab \x01\xff";
  std::mt19937 rng(42);
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = "{";
    const std::size_t n = rng() % 64;
    for (std::size_t k = 0; k < n; ++k) s += alphabet[rng() % (sizeof alphabet - 1)];
    s += "}";
    if (auto r = parse(s); r && !r->empty()) ++accepted;
  }
  EXPECT_LT(accepted, 20000u);
}

}  // namespace
