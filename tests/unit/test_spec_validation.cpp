// Spec validation (core/spec/spec.hpp): most cases are tables, each bad input naming the
// exact JSON paths that must be reported; good specs get every default; spec files.
// Rendering: test_spec_render.cpp; kind manifests and catalogs: test_kind_manifest.cpp.
#include "spec_test_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace orrery::spec;
using namespace orrery::spec_test;
using nlohmann::json;

// ---------------------------------------------------------------------------
// Bad specs: one row per mistake.

struct BadSpec {
  const char* name;
  const char* spec;
  std::vector<Expected> errors;
};

void PrintTo(const BadSpec& c, std::ostream* os) { *os << c.name; }

class BadSpecTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(BadSpecTest, ReportsExactlyTheExpectedIssues) {
  const BadSpec& c = GetParam();
  Validation v = validate_spec(json::parse(c.spec), catalog());
  EXPECT_FALSE(v.ok());
  EXPECT_FALSE(v.spec.has_value()) << "a spec with errors must not be returned";
  expect_issues(v.errors, c.errors);
}

// Every row is {"kind": "toy", "params": {"dataset": "d"}} plus one mistake,
// unless the mistake is about those parts.
const BadSpec kBadSpecs[] = {
    {"not_an_object", R"([1, 2])", {{"$", "a spec must be a JSON object, got a list"}}},
    {"a_string", R"("toy")", {{"$", "got string \"toy\""}}},
    {"null_document", R"(null)", {{"$", "got null"}}},
    {"missing_kind", R"({"params": {}})", {{"$.kind", "missing required key \"kind\" (known: tool, toy)"}}},
    {"kind_not_a_string", R"({"kind": 3})", {{"$.kind", "expected the name of a job kind, got integer 3"}}},
    {"unknown_kind", R"({"kind": "tyo"})", {{"$.kind", "unknown job kind \"tyo\" (did you mean \"toy\"?)"}}},
    {"unknown_kind_far_off", R"({"kind": "gpt-train"})", {{"$.kind", "unknown job kind \"gpt-train\" (known: tool, toy)"}}},
    {"unknown_top_level_key", R"({"kind": "toy", "params": {"dataset": "d"}, "rank": 2})",
     {{"$.rank", "unknown key \"rank\" (allowed: kind, name, ranks, target, tags, params) (did you mean \"ranks\"?)"}}},
    {"unknown_key_needs_brackets", R"({"kind": "toy", "params": {"dataset": "d"}, "my key": 1})",
     {{"$[\"my key\"]", "unknown key \"my key\""}}},
    {"unknown_parameter", R"({"kind": "toy", "params": {"dataset": "d", "iteration": 5}})",
     {{"$.params.iteration", "unknown parameter \"iteration\" for job kind \"toy\" (did you mean \"iterations\"?)"}}},
    {"unknown_parameter_odd_name", R"({"kind": "toy", "params": {"dataset": "d", "a.b": 5}})",
     {{"$.params[\"a.b\"]", "unknown parameter \"a.b\""}}},
    {"params_not_an_object", R"({"kind": "toy", "params": [1]})", {{"$.params", "expected an object of parameter values, got a list"}}},
    {"missing_required_parameter", R"({"kind": "toy"})",
     {{"$.params.dataset", "missing required parameter \"dataset\" (which data)"}}},
    {"int_as_string", R"({"kind": "toy", "params": {"dataset": "d", "iterations": "100"}})",
     {{"$.params.iterations", "expected an integer, got string \"100\""}}},
    {"int_with_fraction", R"({"kind": "toy", "params": {"dataset": "d", "iterations": 2.5}})",
     {{"$.params.iterations", "expected an integer, got number 2.5"}}},
    {"int_below_min", R"({"kind": "toy", "params": {"dataset": "d", "iterations": 0}})",
     {{"$.params.iterations", "must be between 1 and 1000, got 0"}}},
    {"int_above_max", R"({"kind": "toy", "params": {"dataset": "d", "iterations": 1001}})",
     {{"$.params.iterations", "must be between 1 and 1000, got 1001"}}},
    {"int_beyond_int64", R"({"kind": "toy", "params": {"dataset": "d", "iterations": 18446744073709551615}})",
     {{"$.params.iterations", "integer 18446744073709551615 is too large"}}},
    {"int_huge_float", R"({"kind": "toy", "params": {"dataset": "d", "iterations": 1e300}})",
     {{"$.params.iterations", "expected an integer, got number 1e+300"}}},
    {"float_as_bool", R"({"kind": "toy", "params": {"dataset": "d", "lr": true}})",
     {{"$.params.lr", "expected a number, got boolean true"}}},
    {"float_above_max", R"({"kind": "toy", "params": {"dataset": "d", "lr": 1.5}})",
     {{"$.params.lr", "must be between 0 and 1, got 1.5"}}},
    {"float_below_min", R"({"kind": "toy", "params": {"dataset": "d", "lr": -0.25}})",
     {{"$.params.lr", "must be between 0 and 1, got -0.25"}}},
    {"bool_as_string", R"({"kind": "toy", "params": {"dataset": "d", "verbose": "yes"}})",
     {{"$.params.verbose", "expected true or false, got string \"yes\""}}},
    {"bool_as_int", R"({"kind": "toy", "params": {"dataset": "d", "verbose": 1}})",
     {{"$.params.verbose", "expected true or false, got integer 1"}}},
    {"string_as_number", R"({"kind": "toy", "params": {"dataset": 5}})",
     {{"$.params.dataset", "expected a string, got integer 5"}}},
    {"string_with_nul", R"({"kind": "toy", "params": {"dataset": "a\u0000b"}})",
     {{"$.params.dataset", "must not contain a NUL character"}}},
    {"string_null", R"({"kind": "toy", "params": {"dataset": null}})", {{"$.params.dataset", "expected a string, got null"}}},
    {"choice_not_a_member", R"({"kind": "toy", "params": {"dataset": "d", "mode": "slow"}})",
     {{"$.params.mode", "\"slow\" is not one of: fast, exact"}}},
    {"choice_typo", R"({"kind": "toy", "params": {"dataset": "d", "mode": "fats"}})",
     {{"$.params.mode", "is not one of: fast, exact (did you mean \"fast\"?)"}}},
    {"choice_not_a_string", R"({"kind": "toy", "params": {"dataset": "d", "mode": 1}})",
     {{"$.params.mode", "expected a string, got integer 1"}}},
    {"list_as_string", R"({"kind": "toy", "params": {"dataset": "d", "extra": "a b"}})",
     {{"$.params.extra", "expected a list of strings, got string \"a b\""}}},
    {"list_bad_elements", R"({"kind": "toy", "params": {"dataset": "d", "extra": ["a", 2, null]}})",
     {{"$.params.extra[1]", "expected a string, got integer 2"}, {"$.params.extra[2]", "expected a string, got null"}}},
    {"ranks_zero", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": 0})", {{"$.ranks", "must be at least 1, got 0"}}},
    {"ranks_negative", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": -3})", {{"$.ranks", "must be at least 1, got -3"}}},
    {"ranks_fraction", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": 2.5})",
     {{"$.ranks", "expected an integer rank count, got number 2.5"}}},
    {"ranks_string", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": "4"})",
     {{"$.ranks", "expected an integer rank count, got string \"4\""}}},
    {"ranks_absurd", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": 1e12})",
     {{"$.ranks", "must be at most 1000000, got 1000000000000"}}},
    {"ranks_above_kind_max", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": 16})",
     {{"$.ranks", "job kind \"toy\" runs on 2 to 8 ranks, got 16"}}},
    {"ranks_below_kind_min", R"({"kind": "toy", "params": {"dataset": "d"}, "ranks": 1})",
     {{"$.ranks", "job kind \"toy\" runs on 2 to 8 ranks, got 1"}}},
    {"name_with_space", R"({"kind": "toy", "params": {"dataset": "d"}, "name": "my run"})",
     {{"$.name", "invalid run name \"my run\": use 1 to 64 letters, digits, '.', '_' or '-'"}}},
    {"name_with_slash", R"({"kind": "toy", "params": {"dataset": "d"}, "name": "../etc"})",
     {{"$.name", "invalid run name \"../etc\""}}},
    {"name_hidden", R"({"kind": "toy", "params": {"dataset": "d"}, "name": ".hidden"})", {{"$.name", "invalid run name"}}},
    {"name_empty", R"({"kind": "toy", "params": {"dataset": "d"}, "name": ""})", {{"$.name", "invalid run name \"\""}}},
    {"name_too_long",
     R"({"kind": "toy", "params": {"dataset": "d"}, "name": "a1234567890123456789012345678901234567890123456789012345678901234"})",
     {{"$.name", "invalid run name"}}},
    {"name_not_a_string", R"({"kind": "toy", "params": {"dataset": "d"}, "name": 7})",
     {{"$.name", "expected a run name (a string), got integer 7"}}},
    {"tags_not_a_list", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": "demo"})",
     {{"$.tags", "expected a list of tags (strings), got string \"demo\""}}},
    {"tag_not_a_string", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": ["ok", 1]})",
     {{"$.tags[1]", "expected a tag (a string), got integer 1"}}},
    {"tag_leading_space", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": [" lead"]})",
     {{"$.tags[0]", "invalid tag \" lead\""}}},
    {"tag_trailing_space", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": ["trail "]})", {{"$.tags[0]", "invalid tag"}}},
    {"tag_newline", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": ["a\nb"]})", {{"$.tags[0]", "invalid tag \"a\\nb\""}}},
    {"tag_empty", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": [""]})", {{"$.tags[0]", "invalid tag"}}},
    {"tag_duplicate", R"({"kind": "toy", "params": {"dataset": "d"}, "tags": ["a", "b", "a"]})",
     {{"$.tags[2]", "duplicate tag \"a\""}}},
    {"target_unknown", R"({"kind": "toy", "params": {"dataset": "d"}, "target": "slurm"})",
     {{"$.target", "unknown target \"slurm\" (known: local)"}}},
    {"target_not_a_string", R"({"kind": "toy", "params": {"dataset": "d"}, "target": {"type": "local"}})",
     {{"$.target", "expected a target name (a string), got an object"}}},
    {"unknown_kind_still_checks_the_rest", R"({"kind": "nope", "name": "a b", "ranks": 0, "params": 3})",
     {{"$.kind", "unknown job kind \"nope\""},
      {"$.name", "invalid run name"},
      {"$.ranks", "must be at least 1"},
      {"$.params", "expected an object"}}},
};

INSTANTIATE_TEST_SUITE_P(Table, BadSpecTest, ::testing::ValuesIn(kBadSpecs),
                         [](const ::testing::TestParamInfo<BadSpec>& p) { return std::string(p.param.name); });

// ---------------------------------------------------------------------------
// Good specs

TEST(ValidateSpec, FillsEveryDefault) {
  Validation v = validate_spec(json::parse(R"({"kind": "toy", "params": {"dataset": "d"}})"), catalog());
  ASSERT_TRUE(v.ok()) << dump(v.errors);
  ASSERT_TRUE(v.spec);
  const Spec& s = *v.spec;
  EXPECT_EQ(s.kind, "toy");
  EXPECT_EQ(s.name, "toy") << "the name defaults to the kind's name";
  EXPECT_EQ(s.ranks, 4) << "the kind's default rank count";
  EXPECT_EQ(s.target, "local");
  EXPECT_TRUE(s.tags.empty());
  EXPECT_EQ(s.params, json::parse(R"({"iterations": 100, "lr": 0.001, "verbose": false, "label": "x",
                                      "mode": "fast", "extra": [], "dataset": "d"})"));
}

TEST(ValidateSpec, KeepsEverythingGiven) {
  Validation v = validate_spec(json::parse(R"({
      "kind": "toy", "name": "run-1.b_c", "ranks": 8, "target": "local", "tags": ["demo", "lr=3e-4", "team/vision x"],
      "params": {"dataset": "d", "iterations": 1000, "lr": 1, "verbose": true, "label": "", "mode": "exact",
                 "extra": ["--flag", "two words"]}})"),
                               catalog());
  ASSERT_TRUE(v.ok()) << dump(v.errors);
  EXPECT_EQ(v.spec->name, "run-1.b_c");
  EXPECT_EQ(v.spec->ranks, 8);
  EXPECT_EQ(v.spec->tags, (std::vector<std::string>{"demo", "lr=3e-4", "team/vision x"}));
  EXPECT_EQ(v.spec->params["mode"], "exact");
  EXPECT_EQ(v.spec->params["extra"], json::parse(R"(["--flag", "two words"])"));
}

TEST(ValidateSpec, NormalisesNumbers) {
  // 1e2 is a float in JSON but plainly an integer; an integer for a float parameter is fine.
  Validation v = validate_spec(json::parse(R"({"kind": "toy", "ranks": 6.0, "params": {"dataset": "d", "iterations": 1e2, "lr": 1}})"),
                               catalog());
  ASSERT_TRUE(v.ok()) << dump(v.errors);
  EXPECT_TRUE(v.spec->params["iterations"].is_number_integer());
  EXPECT_EQ(v.spec->params["iterations"], 100);
  EXPECT_TRUE(v.spec->params["lr"].is_number_float());
  EXPECT_EQ(v.spec->ranks, 6);
}

TEST(ValidateSpec, ToJsonRoundTrips) {
  Validation v = validate_spec(json::parse(R"({"kind": "toy", "tags": ["t"], "params": {"dataset": "d"}})"), catalog());
  ASSERT_TRUE(v.ok());
  json doc = v.spec->to_json();
  EXPECT_EQ(doc["kind"], "toy");
  EXPECT_EQ(doc["ranks"], 4);
  Validation again = validate_spec(doc, catalog());
  ASSERT_TRUE(again.ok()) << dump(again.errors);
  EXPECT_EQ(again.spec->to_json(), doc);
}

TEST(ValidateSpec, ReportsEveryErrorAtOnce) {
  Validation v = validate_spec(json::parse(R"({
      "kind": "toy", "name": "bad name", "ranks": 100, "target": "mars", "tags": [3], "colour": "red",
      "params": {"iterations": -1, "lr": "fast", "mode": "slow", "bogus": 1, "extra": [1]}})"),
                               catalog());
  expect_issues(v.errors, {{"$.colour", "unknown key"},
                           {"$.name", "invalid run name"},
                           {"$.ranks", "runs on 2 to 8 ranks, got 100"},
                           {"$.target", "unknown target \"mars\""},
                           {"$.tags[0]", "expected a tag"},
                           {"$.params.iterations", "must be between 1 and 1000, got -1"},
                           {"$.params.lr", "expected a number"},
                           {"$.params.mode", "is not one of"},
                           {"$.params.bogus", "unknown parameter"},
                           {"$.params.extra[0]", "expected a string"},
                           {"$.params.dataset", "missing required parameter"}});
  EXPECT_FALSE(v.spec);
}

TEST(ValidateSpec, RanksOverrideReplacesTheDocument) {
  json doc = json::parse(R"({"kind": "toy", "ranks": 4, "params": {"dataset": "d"}})");
  Validation v = validate_spec(doc, catalog(), 6);
  ASSERT_TRUE(v.ok()) << dump(v.errors);
  EXPECT_EQ(v.spec->ranks, 6);

  json no_ranks = json::parse(R"({"kind": "toy", "params": {"dataset": "d"}})");
  EXPECT_EQ(validate_spec(no_ranks, catalog(), 2).spec->ranks, 2);
}

TEST(ValidateSpec, RanksOverrideIsCheckedAgainstTheKind) {
  json doc = json::parse(R"({"kind": "toy", "params": {"dataset": "d"}})");
  expect_issues(validate_spec(doc, catalog(), 9).errors, {{"$.ranks", "runs on 2 to 8 ranks, got 9 (rank override)"}});
  expect_issues(validate_spec(doc, catalog(), 0).errors, {{"$.ranks", "must be at least 1, got 0 (rank override)"}});
  // An override also rescues a document whose own count is out of the kind's range...
  EXPECT_TRUE(validate_spec(json::parse(R"({"kind": "toy", "ranks": 64, "params": {"dataset": "d"}})"), catalog(), 8).ok());
  // ...but not a malformed one: the file itself is still wrong.
  expect_issues(validate_spec(json::parse(R"({"kind": "toy", "ranks": "x", "params": {"dataset": "d"}})"), catalog(), 4).errors,
                {{"$.ranks", "expected an integer rank count"}});
}

TEST(ValidateSpec, RunNames) {
  EXPECT_TRUE(valid_run_name("a"));
  EXPECT_TRUE(valid_run_name("Run_2.final-b"));
  EXPECT_TRUE(valid_run_name(std::string(64, 'x')));
  EXPECT_FALSE(valid_run_name(std::string(65, 'x')));
  EXPECT_FALSE(valid_run_name(""));
  EXPECT_FALSE(valid_run_name("-leading"));
  EXPECT_FALSE(valid_run_name("_leading"));
  EXPECT_FALSE(valid_run_name("a/b"));
  EXPECT_FALSE(valid_run_name("a b"));
  EXPECT_FALSE(valid_run_name("caf\xc3\xa9"));
}

// ---------------------------------------------------------------------------
// Spec files


using SpecFile = WithFiles;

TEST_F(SpecFile, LoadsAndValidates) {
  auto file = write("good.json", R"({"kind": "toy", "name": "from-file", "params": {"dataset": "d"}})");
  Validation v = load_spec_file(file, catalog(), 2);
  ASSERT_TRUE(v.ok()) << dump(v.errors);
  EXPECT_EQ(v.spec->name, "from-file");
  EXPECT_EQ(v.spec->ranks, 2);
}

TEST_F(SpecFile, ValidationIssuesNameTheFile) {
  auto file = write("bad.json", R"({"kind": "toy", "params": {"dataset": "d", "lr": 2}})");
  Validation v = load_spec_file(file, catalog());
  expect_issues(v.errors, {{"$.params.lr", "must be between 0 and 1"}});
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_EQ(v.errors[0].file, file);
  EXPECT_CONTAINS(to_string(v.errors[0]), "bad.json: $.params.lr: must be between 0 and 1, got 2");
}

TEST_F(SpecFile, SyntaxErrorGivesLineAndColumn) {
  auto file = write("syntax.json", "{\n  \"kind\": \"toy\",\n  \"params\": {\"dataset\": \"d\",}\n}\n");
  Validation v = load_spec_file(file, catalog());
  ASSERT_EQ(v.errors.size(), 1u) << dump(v.errors);
  EXPECT_EQ(v.errors[0].path, "$");
  EXPECT_EQ(v.errors[0].file, file);
  EXPECT_CONTAINS(v.errors[0].message, "JSON syntax error at line 3, column 29");
  EXPECT_CONTAINS(v.errors[0].message, "syntax error while parsing object key");
  EXPECT_FALSE(v.spec);
}

TEST_F(SpecFile, TruncatedFile) {
  auto file = write("short.json", "{\"kind\": \"toy\"");
  Validation v = load_spec_file(file, catalog());
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_CONTAINS(v.errors[0].message, "JSON syntax error at line 1, column 15");
  EXPECT_CONTAINS(v.errors[0].message, "unexpected end of input");
}

TEST_F(SpecFile, MissingFile) {
  Validation v = load_spec_file(dir_ / "nope.json", catalog());
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_EQ(v.errors[0].path, "$");
  EXPECT_CONTAINS(v.errors[0].message, "cannot open: No such file or directory");
}

TEST_F(SpecFile, DirectoryInsteadOfFile) {
  Validation v = load_spec_file(dir_, catalog());
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_CONTAINS(v.errors[0].message, "is a directory");
}

}  // namespace
