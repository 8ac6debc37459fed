// Sweeps (core/spec/sweep) and the word splitting behind string_list fields
// (core/spec/word_split): text forms, the cartesian product, validation of
// every combination with validate_spec's own messages, and the run cap.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/kind_catalog.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"
#include "spec/sweep.hpp"
#include "spec/word_split.hpp"

namespace {

using namespace orrery::spec;
using nlohmann::json;

KindCatalog toy_catalog() {
  const json manifest = json::parse(R"({
    "name": "toy", "runner": "worker", "worker": "orrery-toy",
    "params": [
      {"name": "iterations", "type": "int", "default": 100, "min": 1, "max": 1000},
      {"name": "lr", "type": "float", "default": 0.001, "min": 0, "max": 1},
      {"name": "verbose", "type": "bool", "default": false},
      {"name": "label", "type": "string", "default": "x"},
      {"name": "mode", "type": "choice", "default": "fast", "choices": ["fast", "exact"]},
      {"name": "extra", "type": "string_list", "default": []}
    ],
    "ranks": {"min": 1, "max": 8, "default": 2}
  })");
  std::vector<Issue> problems;
  auto kind = parse_kind(manifest, "toy.json", &problems);
  EXPECT_TRUE(problems.empty());
  return KindCatalog::from_kinds({*kind});
}

const ParamSchema& param(const KindCatalog& c, const char* name) { return *c.find("toy")->param(name); }

// ---------------------------------------------------------------------------
// Word splitting

TEST(WordSplit, QuotesAndEscapesWithoutAShell) {
  auto s = split_words(R"(python3 -c 'print("a b")' "x \"y\" \\z" a\ b $HOME '' *)");
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.words, (std::vector<std::string>{"python3", "-c", "print(\"a b\")", "x \"y\" \\z", "a b", "$HOME", "", "*"}));
  EXPECT_TRUE(split_words("   ").words.empty());
}

TEST(WordSplit, UnterminatedQuotesAreErrors) {
  EXPECT_CONTAINS(split_words("echo 'abc").error, "unterminated ' quote (starting at character 6)");
  EXPECT_CONTAINS(split_words("echo \"abc").error, "unterminated \" quote");
}

TEST(WordSplit, JoinRoundTrips) {
  std::vector<std::vector<std::string>> lists = {
      {"a", "b c", "", "it's", "\"q\"", "back\\slash", "semi;colon", "tab\there"}, {}, {"plain"}};
  for (const auto& list : lists) {
    auto back = split_words(join_words(list));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.words, list) << join_words(list);
  }
  auto groups = split_word_groups(join_words({"semi;colon", "x"}, ';') + "; y", ';');
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups.groups, (std::vector<std::vector<std::string>>{{"semi;colon", "x"}, {"y"}}));
}

// ---------------------------------------------------------------------------
// Text values and sweep values

TEST(SweepValues, FieldTextBecomesTheValueTheCliWouldSee) {
  auto c = toy_catalog();
  EXPECT_EQ(*value_from_text(param(c, "iterations"), " 12 ").value, json(12));
  EXPECT_EQ(*value_from_text(param(c, "iterations"), "1e3").value, json(1e3));
  EXPECT_EQ(*value_from_text(param(c, "iterations"), "abc").value, json("abc"));
  EXPECT_EQ(*value_from_text(param(c, "lr"), "0x10").value, json("0x10"));
  EXPECT_EQ(*value_from_text(param(c, "verbose"), "true").value, json(true));
  EXPECT_EQ(*value_from_text(param(c, "verbose"), "yes").value, json("yes"));
  EXPECT_EQ(*value_from_text(param(c, "label"), " a b ").value, json(" a b "));
  EXPECT_EQ(*value_from_text(param(c, "extra"), "-v 'a b'").value, json({"-v", "a b"}));
  EXPECT_FALSE(value_from_text(param(c, "extra"), "'a").value);
}

TEST(SweepValues, ListsAndRanges) {
  auto c = toy_catalog();
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1, 2,4").values, (std::vector<json>{1, 2, 4}));
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1:9:4").values, (std::vector<json>{1, 5, 9}));
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "3:1").error, "range step 1 never reaches stop 1 from start 3");
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "3:1:-1").values, (std::vector<json>{3, 2, 1}));
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1:10:4").values, (std::vector<json>{1, 5, 9}));
  EXPECT_EQ(parse_sweep_values(param(c, "lr"), "0.1:0.3:0.1").values, (std::vector<json>{0.1, 0.2, 0.3}));
  EXPECT_EQ(parse_sweep_values(param(c, "verbose"), "true,false").values, (std::vector<json>{true, false}));
  EXPECT_EQ(parse_sweep_values(param(c, "mode"), "fast, exact").values, (std::vector<json>{"fast", "exact"}));
  EXPECT_EQ(parse_sweep_values(param(c, "extra"), "-v; -q 'a;b'; ").values,
            (std::vector<json>{json({"-v"}), json({"-q", "a;b"}), json::array()}));
}

TEST(SweepValues, BadTextIsRefusedWithAReason) {
  auto c = toy_catalog();
  EXPECT_EQ(parse_sweep_values(param(c, "lr"), "0:1").error, "a range is start:stop:step, e.g. 0.1:0.5:0.1");
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1:2:0").error, "range step must not be 0");
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1:x:1").error, "range stop \"x\" is not a number");
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1:2:0.5").error,
            "range step of an int parameter must be an integer, got 0.5");
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1,,3").error, "value 2 of the list is empty");
  EXPECT_CONTAINS(parse_sweep_values(param(c, "iterations"), "  ").error, "no sweep values");
  // A huge range is refused before anything is allocated.
  EXPECT_EQ(parse_sweep_values(param(c, "iterations"), "1:1000000000000:1").error,
            "range gives 1000000000000 values, more than the limit of 256");
}

// ---------------------------------------------------------------------------
// Expansion

TEST(SweepExpansion, CartesianProductLastAxisFastest) {
  auto c = toy_catalog();
  json base = {{"kind", "toy"}, {"name", "s"}, {"params", {{"label", "fixed"}}}};
  auto e = expand_sweep(base, {{"iterations", {10, 20}}, {"mode", {"fast", "exact"}}}, c);
  ASSERT_TRUE(e.ok()) << to_string(e.errors.front());
  ASSERT_EQ(e.specs.size(), 4u);
  const std::vector<std::pair<int, std::string>> expected = {{10, "fast"}, {10, "exact"}, {20, "fast"}, {20, "exact"}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(e.specs[i].params["iterations"], expected[i].first);
    EXPECT_EQ(e.specs[i].params["mode"], expected[i].second);
    EXPECT_EQ(e.specs[i].params["label"], "fixed");   // the base's values stay
    EXPECT_EQ(e.specs[i].params["lr"], 0.001);        // defaults filled in
    EXPECT_EQ(e.assignments[i], (json{{"iterations", expected[i].first}, {"mode", expected[i].second}}));
  }
}

TEST(SweepExpansion, EveryCombinationIsValidatedWithTheCliMessages) {
  auto c = toy_catalog();
  json base = {{"kind", "toy"}};
  auto e = expand_sweep(base, {{"iterations", {10, 5000, 2.5}}, {"verbose", {true, false}}}, c);
  EXPECT_TRUE(e.specs.empty());
  ASSERT_EQ(e.errors.size(), 2u);   // each problem once, not once per combination
  // The same messages validate_spec gives for a single spec with that value.
  auto single = validate_spec(json{{"kind", "toy"}, {"params", {{"iterations", 5000}}}}, c);
  ASSERT_EQ(single.errors.size(), 1u);
  EXPECT_EQ(e.errors[0].path, "$.params.iterations");
  EXPECT_EQ(e.errors[0].message, single.errors[0].message);
  EXPECT_EQ(e.errors[1].path, "$.params.iterations");
  EXPECT_EQ(e.errors[1].message, "expected an integer, got number 2.5");
}

TEST(SweepExpansion, ErrorsOutsideTheAxesAndUnknownParameters) {
  auto c = toy_catalog();
  auto e = expand_sweep(json{{"kind", "toy"}, {"name", "bad name"}}, {{"iteration", {1, 2}}}, c);
  ASSERT_EQ(e.errors.size(), 2u);
  EXPECT_EQ(e.errors[0].path, "$.name");
  EXPECT_EQ(e.errors[1].path, "$.params.iteration");
  EXPECT_CONTAINS(e.errors[1].message, "did you mean \"iterations\"");
}

TEST(SweepExpansion, EmptyAndDuplicateAxes) {
  auto c = toy_catalog();
  auto e = expand_sweep(json{{"kind", "toy"}}, {{"iterations", {}}, {"lr", {0.1}}, {"lr", {0.2}}}, c);
  ASSERT_EQ(e.errors.size(), 2u);
  EXPECT_EQ(e.errors[0].message, "the sweep of \"iterations\" has no values");
  EXPECT_EQ(e.errors[1].path, "$.params.lr");
  EXPECT_EQ(e.errors[1].message, "parameter \"lr\" is swept twice");
}

TEST(SweepExpansion, RunCap) {
  auto c = toy_catalog();
  std::vector<json> seventeen, sixteen;
  for (int i = 1; i <= 17; ++i) seventeen.emplace_back(i);
  for (int i = 1; i <= 16; ++i) sixteen.emplace_back(i);
  auto over = expand_sweep(json{{"kind", "toy"}}, {{"iterations", seventeen}, {"extra", {}}}, c);
  EXPECT_EQ(over.errors.size(), 1u);   // the empty axis, reported before the size
  over = expand_sweep(json{{"kind", "toy"}}, {{"iterations", seventeen}, {"label", std::vector<json>(16, "a")}}, c);
  ASSERT_EQ(over.errors.size(), 1u);
  EXPECT_EQ(over.errors[0].path, "$");
  EXPECT_EQ(over.errors[0].message, "the sweep makes 272 runs, more than the limit of 256; remove values or widen a range's step");
  auto at_cap = expand_sweep(json{{"kind", "toy"}}, {{"iterations", sixteen}, {"label", std::vector<json>(16, "a")}}, c);
  EXPECT_TRUE(at_cap.ok());
  EXPECT_EQ(at_cap.specs.size(), 256u);
  EXPECT_EQ(sweep_size({{"a", std::vector<json>(1u << 16, 1)}, {"b", std::vector<json>(1u << 16, 1)},
                        {"c", std::vector<json>(1u << 16, 1)}, {"d", std::vector<json>(1u << 16, 1)}}),
            SIZE_MAX);
}

TEST(SweepExpansion, NoAxesIsOneValidatedSpecAndRanksOverrideApplies) {
  auto c = toy_catalog();
  auto e = expand_sweep(json{{"kind", "toy"}}, {}, c, 3);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e.specs.size(), 1u);
  EXPECT_EQ(e.specs[0].ranks, 3);
  auto bad = expand_sweep(json{{"kind", "toy"}}, {{"lr", {0.5}}}, c, 9);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].path, "$.ranks");
}

}  // namespace
