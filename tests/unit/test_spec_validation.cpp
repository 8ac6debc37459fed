// Job-kind manifests, spec validation and command rendering (core/spec).
//
// Most cases are tables: each bad input names the exact JSON paths that must be
// reported and a piece of each message, and nothing else may be reported.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/kind_catalog.hpp"
#include "spec/kind_schema.hpp"
#include "spec/render_command.hpp"
#include "spec/spec.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::spec;
using nlohmann::json;

// gtest only (the test targets do not link gmock).

// ---------------------------------------------------------------------------
// Fixtures: two kinds that between them use every parameter type.

const char* const kToyManifest = R"({
  "name": "toy", "title": "Toy", "description": "every parameter type",
  "runner": "worker", "worker": "orrery-toy",
  "params": [
    {"name": "iterations", "type": "int", "default": 100, "min": 1, "max": 1000, "help": "steps"},
    {"name": "lr", "type": "float", "default": 0.001, "min": 0, "max": 1},
    {"name": "verbose", "type": "bool", "default": false},
    {"name": "label", "type": "string", "default": "x"},
    {"name": "mode", "type": "choice", "default": "fast", "choices": ["fast", "exact"]},
    {"name": "extra", "type": "string_list", "default": []},
    {"name": "dataset", "type": "string", "help": "which data"}
  ],
  "metrics": ["loss"], "progress_metric": "loss",
  "ranks": {"min": 2, "max": 8, "default": 4}
})";

const char* const kToolManifest = R"({
  "name": "tool", "runner": "command",
  "command": ["{share}/tool", "--n={iterations}", "{args}", "--out", "{run_dir}/out.txt",
              "--ranks={ranks}", "{{literal}}", "{bin}:{project}"],
  "params": [
    {"name": "iterations", "type": "int", "default": 3},
    {"name": "args", "type": "string_list", "default": ["a", "b c"]}
  ]
})";

KindSchema must_parse(const char* manifest) {
  std::vector<Issue> problems;
  auto kind = parse_kind(json::parse(manifest), "inline.json", &problems);
  for (const auto& p : problems) ADD_FAILURE() << to_string(p);
  if (!kind) throw std::runtime_error("fixture manifest rejected");
  return *kind;
}

const KindCatalog& catalog() {
  static const KindCatalog c = KindCatalog::from_kinds({must_parse(kToyManifest), must_parse(kToolManifest)});
  return c;
}

struct Expected {
  std::string path;
  std::string message_part;
};

std::string dump(const std::vector<Issue>& issues) {
  std::string out;
  for (const auto& i : issues) out += "\n  " + to_string(i);
  return out;
}

// Exactly the expected issues, in any order, each matched once.
void expect_issues(const std::vector<Issue>& got, const std::vector<Expected>& want) {
  EXPECT_EQ(got.size(), want.size()) << "issues:" << dump(got);
  for (const auto& w : want) {
    bool found = std::any_of(got.begin(), got.end(), [&](const Issue& i) {
      return i.path == w.path && i.message.find(w.message_part) != std::string::npos;
    });
    EXPECT_TRUE(found) << "expected an issue at " << w.path << " containing '" << w.message_part << "'; got:" << dump(got);
  }
}

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

// A test with a temp folder to write spec and manifest files into.
class WithFiles : public ::testing::Test {
 protected:
  fs::path write(const fs::path& relative, const std::string& text) {
    fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  orrery::test_support::TempDir tmp_{"orrery-spec-test"};
  fs::path dir_ = tmp_.path();
};

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

// ---------------------------------------------------------------------------
// render_command

Spec valid(const char* doc) {
  Validation v = validate_spec(json::parse(doc), catalog());
  if (!v.ok()) throw std::runtime_error("fixture spec rejected:" + dump(v.errors));
  return *v.spec;
}

const RenderContext kContext{"/opt/orrery/bin", "/opt/orrery/share/orrery", "/home/u/proj", "/home/u/proj/runs/r1"};

TEST(RenderCommand, WorkerGetsOneFlagPerParameter) {
  Spec s = valid(R"({"kind": "toy", "params": {"dataset": "my data", "lr": 0.1, "extra": ["a", "b=c"], "label": "--x"}})");
  EXPECT_EQ(render_command(*catalog().find("toy"), s, kContext),
            (std::vector<std::string>{"/opt/orrery/bin/orrery-toy", "--iterations=100", "--lr=0.1", "--verbose=false",
                                      "--label=--x", "--mode=fast", "--extra=a", "--extra=b=c", "--dataset=my data"}));
}

TEST(RenderCommand, WorkerWithEmptyListGetsNoFlag) {
  Spec s = valid(R"({"kind": "toy", "params": {"dataset": "d", "verbose": true, "lr": 1e-05}})");
  auto argv = render_command(*catalog().find("toy"), s, kContext);
  EXPECT_EQ(std::count_if(argv.begin(), argv.end(), [](const std::string& a) { return a.starts_with("--extra"); }), 0);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--verbose=true"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--lr=1e-05"), argv.end());
}

TEST(RenderCommand, CommandTemplateSubstitutes) {
  Spec s = valid(R"({"kind": "tool", "ranks": 3})");
  EXPECT_EQ(render_command(*catalog().find("tool"), s, kContext),
            (std::vector<std::string>{"/opt/orrery/share/orrery/tool", "--n=3", "a", "b c", "--out",
                                      "/home/u/proj/runs/r1/out.txt", "--ranks=3", "{literal}",
                                      "/opt/orrery/bin:/home/u/proj"}));
}

TEST(RenderCommand, StringListExpandsToNothingWhenEmpty) {
  Spec s = valid(R"({"kind": "tool", "params": {"args": [], "iterations": 7}})");
  auto argv = render_command(*catalog().find("tool"), s, kContext);
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[1], "--n=7");
  EXPECT_EQ(argv[2], "--out");
}

TEST(RenderCommand, ValuesAreNeverShellInterpreted) {
  Spec s = valid(R"js({"kind": "tool", "params": {"args": ["$(rm -rf /)", "; echo", "'\"", "{share}"]}})js");
  auto argv = render_command(*catalog().find("tool"), s, kContext);
  EXPECT_EQ(std::vector<std::string>(argv.begin() + 2, argv.begin() + 6),
            (std::vector<std::string>{"$(rm -rf /)", "; echo", "'\"", "{share}"}))
      << "values are passed verbatim, and placeholders inside values are not expanded";
}

TEST(RenderCommand, UnknownPlaceholderThrows) {
  // Only reachable by building a kind in code: parse_kind rejects such templates.
  KindSchema k;
  k.name = "handmade";
  k.runner = Runner::Command;
  k.command = {"prog", "--x={nope}"};
  Spec s;
  s.kind = "handmade";
  EXPECT_THROW(render_command(k, s, kContext), std::invalid_argument);
  k.command = {"prog", "{unclosed"};
  EXPECT_THROW(render_command(k, s, kContext), std::invalid_argument);
}

TEST(RenderCommand, EmptyProgramThrows) {
  KindSchema k = must_parse(R"({"name": "c", "runner": "command", "command": ["{argv}"],
                                "params": [{"name": "argv", "type": "string_list"}]})");
  Spec s;
  s.kind = "c";
  s.params = json{{"argv", json::array()}};
  EXPECT_THROW(render_command(k, s, kContext), std::invalid_argument);
}

TEST(SplitTemplate, Parts) {
  auto parts = split_template("a{x}b{{c}}{y_2}");
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_FALSE(parts[0].placeholder);
  EXPECT_EQ(parts[0].text, "a");
  EXPECT_TRUE(parts[1].placeholder);
  EXPECT_EQ(parts[1].text, "x");
  EXPECT_EQ(parts[2].text, "b{c}");
  EXPECT_EQ(parts[3].text, "y_2");
  EXPECT_TRUE(split_template("").empty());
  for (const char* bad : {"{", "a{b", "}", "{}", "{a b}", "{a-b}", "x}y"})
    EXPECT_THROW(split_template(bad), std::invalid_argument) << bad;
}

// ---------------------------------------------------------------------------
// Bad kind manifests

struct BadKind {
  const char* name;
  const char* manifest;
  std::vector<Expected> problems;
};

void PrintTo(const BadKind& c, std::ostream* os) { *os << c.name; }

class BadKindTest : public ::testing::TestWithParam<BadKind> {};

TEST_P(BadKindTest, ReportsExactlyTheExpectedProblems) {
  const BadKind& c = GetParam();
  std::vector<Issue> problems;
  auto kind = parse_kind(json::parse(c.manifest), "kinds/bad.json", &problems);
  EXPECT_FALSE(kind.has_value());
  expect_issues(problems, c.problems);
  for (const auto& p : problems) EXPECT_EQ(p.file, fs::path("kinds/bad.json"));
}

const BadKind kBadKinds[] = {
    {"not_an_object", R"([])", {{"$", "a kind manifest must be a JSON object"}}},
    {"missing_name_and_runner", R"({"worker": "w"})",
     {{"$.name", "missing required key \"name\""}, {"$.runner", "missing required key \"runner\""}}},
    {"bad_kind_name", R"({"name": "a b", "runner": "worker", "worker": "w"})", {{"$.name", "invalid kind name \"a b\""}}},
    {"unknown_runner", R"({"name": "k", "runner": "shell"})", {{"$.runner", "expected \"worker\" or \"command\", got \"shell\""}}},
    {"unknown_key", R"({"name": "k", "runner": "worker", "worker": "w", "paramz": []})",
     {{"$.paramz", "unknown key \"paramz\""}}},
    {"worker_missing", R"({"name": "k", "runner": "worker"})", {{"$.worker", "missing required key \"worker\" for runner \"worker\""}}},
    {"worker_with_path", R"({"name": "k", "runner": "worker", "worker": "../bin/w"})",
     {{"$.worker", "expected the worker's executable name in the bin directory (no '/')"}}},
    {"worker_with_command", R"({"name": "k", "runner": "worker", "worker": "w", "command": ["x"]})",
     {{"$.command", "\"command\" applies only to runner \"command\""}}},
    {"command_missing", R"({"name": "k", "runner": "command"})", {{"$.command", "missing required key \"command\""}}},
    {"command_empty", R"({"name": "k", "runner": "command", "command": []})", {{"$.command", "expected a non-empty list"}}},
    {"command_not_strings", R"({"name": "k", "runner": "command", "command": ["x", 3]})",
     {{"$.command[1]", "expected a string, got integer 3"}}},
    {"command_empty_program", R"({"name": "k", "runner": "command", "command": ["", "x"]})",
     {{"$.command[0]", "the program (first element) must not be empty"}}},
    {"unknown_placeholder", R"({"name": "k", "runner": "command", "command": ["x", "--n={iters}"],
        "params": [{"name": "iterations", "type": "int", "default": 1}]})",
     {{"$.command[1]", "unknown placeholder \"{iters}\""}, {"$.params[0]", "not used by the command template"}}},
    {"unclosed_brace", R"({"name": "k", "runner": "command", "command": ["x", "--n={n"],
        "params": [{"name": "n", "type": "int", "default": 1}]})",
     {{"$.command[1]", "unclosed '{'"}, {"$.params[0]", "not used by the command template"}}},
    {"list_inside_element", R"({"name": "k", "runner": "command", "command": ["x", "--a={a}"],
        "params": [{"name": "a", "type": "string_list", "default": []}]})",
     {{"$.command[1]", "string_list parameter \"a\" must be a whole template element"}}},
    {"params_not_a_list", R"({"name": "k", "runner": "worker", "worker": "w", "params": {}})",
     {{"$.params", "expected a list of parameter objects"}}},
    {"param_not_an_object", R"({"name": "k", "runner": "worker", "worker": "w", "params": ["n"]})",
     {{"$.params[0]", "expected a parameter object, got string \"n\""}}},
    {"param_missing_type", R"({"name": "k", "runner": "worker", "worker": "w", "params": [{"name": "n"}]})",
     {{"$.params[0].type", "missing required key \"type\""}}},
    {"param_unknown_type", R"({"name": "k", "runner": "worker", "worker": "w", "params": [{"name": "n", "type": "integer"}]})",
     {{"$.params[0].type", "unknown parameter type \"integer\""}}},
    {"param_bad_name", R"({"name": "k", "runner": "worker", "worker": "w", "params": [{"name": "max-bytes", "type": "int"}]})",
     {{"$.params[0].name", "invalid parameter name \"max-bytes\""}}},
    {"param_reserved_name", R"({"name": "k", "runner": "worker", "worker": "w", "params": [{"name": "share", "type": "string"}]})",
     {{"$.params[0].name", "\"share\" is reserved for a built-in placeholder"}}},
    {"param_duplicate", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "int"}, {"name": "n", "type": "float"}]})",
     {{"$.params[1].name", "duplicate parameter \"n\""}}},
    {"param_unknown_key", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "int", "defualt": 1}]})",
     {{"$.params[0].defualt", "unknown key \"defualt\""}}},
    {"min_above_max", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "int", "min": 5, "max": 1}]})",
     {{"$.params[0].max", "max 1 is below min 5"}}},
    {"fractional_int_bound", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "int", "min": 0.5}]})",
     {{"$.params[0].min", "must be an integer for type int, got 0.5"}}},
    {"min_on_a_bool", R"({"name": "k", "runner": "worker", "worker": "w", "params": [{"name": "b", "type": "bool", "min": 0}]})",
     {{"$.params[0].min", "applies only to int, float and string_list parameters"}}},
    {"default_out_of_range", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "int", "default": 0, "min": 1}]})",
     {{"$.params[0].default", "default must be at least 1, got 0"}}},
    {"default_wrong_type", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "float", "default": "1"}]})",
     {{"$.params[0].default", "default expected a number, got string \"1\""}}},
    {"default_null", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "n", "type": "float", "default": null}]})",
     {{"$.params[0].default", "leave \"default\" out to make the parameter required"}}},
    {"default_list_element", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "l", "type": "string_list", "default": ["a", 1]}]})",
     {{"$.params[0].default[1]", "default expected a string"}}},
    {"choice_without_choices", R"({"name": "k", "runner": "worker", "worker": "w", "params": [{"name": "c", "type": "choice"}]})",
     {{"$.params[0].choices", "missing required key \"choices\""}}},
    {"choice_empty_choices", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "c", "type": "choice", "choices": []}]})",
     {{"$.params[0].choices", "needs at least one choice"}}},
    {"choice_duplicate_choice", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "c", "type": "choice", "choices": ["a", "a"]}]})",
     {{"$.params[0].choices[1]", "duplicate entry \"a\""}}},
    {"choice_default_not_a_choice", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "c", "type": "choice", "choices": ["a", "b"], "default": "c"}]})",
     {{"$.params[0].default", "default \"c\" is not one of: a, b"}}},
    {"choices_on_a_string", R"({"name": "k", "runner": "worker", "worker": "w",
        "params": [{"name": "s", "type": "string", "choices": ["a"]}]})",
     {{"$.params[0].choices", "applies only to choice parameters"}}},
    {"metrics_not_strings", R"({"name": "k", "runner": "worker", "worker": "w", "metrics": ["a", 1, "a", "x/y"]})",
     {{"$.metrics[1]", "expected a non-empty string"},
      {"$.metrics[2]", "duplicate entry \"a\""},
      {"$.metrics[3]", "must not contain '/'"}}},
    {"progress_metric_unknown", R"({"name": "k", "runner": "worker", "worker": "w", "metrics": ["loss"],
        "progress_metric": "acc"})",
     {{"$.progress_metric", "\"acc\" is not one of the kind's metrics (loss)"}}},
    {"ranks_not_an_object", R"({"name": "k", "runner": "worker", "worker": "w", "ranks": 4})",
     {{"$.ranks", "expected an object"}}},
    {"ranks_inconsistent", R"({"name": "k", "runner": "worker", "worker": "w", "ranks": {"min": 4, "max": 2}})",
     {{"$.ranks.max", "max 2 is below min 4"}}},
    {"ranks_default_outside", R"({"name": "k", "runner": "worker", "worker": "w", "ranks": {"min": 2, "max": 4, "default": 8}})",
     {{"$.ranks.default", "default 8 is outside min..max (2..4)"}}},
    {"ranks_zero", R"({"name": "k", "runner": "worker", "worker": "w", "ranks": {"min": 0, "maximum": 3}})",
     {{"$.ranks.min", "expected a rank count"}, {"$.ranks.maximum", "unknown key"}}},
};

INSTANTIATE_TEST_SUITE_P(Table, BadKindTest, ::testing::ValuesIn(kBadKinds),
                         [](const ::testing::TestParamInfo<BadKind>& p) { return std::string(p.param.name); });

TEST(ParseKind, Defaults) {
  KindSchema k = must_parse(R"({"name": "k", "runner": "worker", "worker": "w"})");
  EXPECT_EQ(k.title, "k") << "the title defaults to the name";
  EXPECT_EQ(k.min_ranks, 1);
  EXPECT_EQ(k.max_ranks, 1024);
  EXPECT_EQ(k.default_ranks, 2);
  EXPECT_TRUE(k.params.empty());
  EXPECT_EQ(k.source, fs::path("inline.json"));
  KindSchema big = must_parse(R"({"name": "k", "runner": "worker", "worker": "w", "ranks": {"min": 4}})");
  EXPECT_EQ(big.default_ranks, 4) << "the default follows a raised minimum";
}

TEST(ParseKind, ParamSchemaFields) {
  const KindSchema& toy = *catalog().find("toy");
  const ParamSchema* it = toy.param("iterations");
  ASSERT_TRUE(it);
  EXPECT_EQ(it->type, ParamType::Int);
  EXPECT_EQ(it->default_value, 100);
  EXPECT_EQ(it->min, 1.0);
  EXPECT_EQ(it->max, 1000.0);
  EXPECT_EQ(it->help, "steps");
  EXPECT_FALSE(it->required());
  EXPECT_TRUE(toy.param("dataset")->required());
  EXPECT_EQ(toy.param("mode")->choices, (std::vector<std::string>{"fast", "exact"}));
  EXPECT_EQ(toy.param("nope"), nullptr);
  EXPECT_EQ(toy.metrics, std::vector<std::string>{"loss"});
  EXPECT_EQ(toy.progress_metric, "loss");
  for (auto t : {ParamType::Int, ParamType::Float, ParamType::Bool, ParamType::String, ParamType::Choice, ParamType::StringList})
    EXPECT_EQ(param_type_from_string(to_string(t)), t);
}

TEST(ParseKind, StringListBoundsCountElements) {
  KindSchema k = must_parse(R"({"name": "c", "runner": "command", "command": ["{argv}"],
                                "params": [{"name": "argv", "type": "string_list", "min": 1, "max": 2}]})");
  auto catalog_c = KindCatalog::from_kinds({k});
  expect_issues(validate_spec(json::parse(R"({"kind": "c", "params": {"argv": []}})"), catalog_c).errors,
                {{"$.params.argv", "needs at least 1 element, got 0"}});
  expect_issues(validate_spec(json::parse(R"({"kind": "c", "params": {"argv": ["a", "b", "c"]}})"), catalog_c).errors,
                {{"$.params.argv", "takes at most 2 elements, got 3"}});
  expect_issues(validate_spec(json::parse(R"({"kind": "c"})"), catalog_c).errors,
                {{"$.params.argv", "missing required parameter \"argv\""}});
}

// ---------------------------------------------------------------------------
// Catalog loading from directories

using Catalog = WithFiles;

const char* const kSmallKind = R"({"name": "%s", "title": "%s", "runner": "worker", "worker": "w"})";

std::string small_kind(const std::string& name, const std::string& title) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, kSmallKind, name.c_str(), title.c_str());
  return buffer;
}

TEST_F(Catalog, LoadsGoodKindsAndReportsBrokenOnes) {
  write("builtin/b.json", small_kind("beta", "Beta"));
  write("builtin/a.json", small_kind("alpha", "Alpha"));
  write("builtin/README.md", "not a kind");
  auto syntax = write("builtin/syntax.json", "{\n  \"name\": \"broken\"\n  \"runner\": \"worker\"\n}");
  auto schema = write("builtin/schema.json", R"({"name": "bad", "runner": "worker", "worker": "w",
                                                  "params": [{"name": "n", "type": "int", "default": "x"}]})");
  std::vector<Issue> problems;
  KindCatalog c = KindCatalog::load({dir_ / "builtin"}, &problems);
  EXPECT_EQ(c.names(), (std::vector<std::string>{"alpha", "beta"}));
  ASSERT_EQ(problems.size(), 2u) << dump(problems);
  EXPECT_EQ(problems[0].file, schema) << "files are read in name order";
  EXPECT_EQ(problems[0].path, "$.params[0].default");
  EXPECT_EQ(problems[1].file, syntax);
  EXPECT_EQ(problems[1].path, "$");
  // nlohmann reports the end of the offending token: the "runner" key after the missing comma.
  EXPECT_CONTAINS(problems[1].message, "JSON syntax error at line 3, column 10");
  EXPECT_EQ(c.find("alpha")->source, dir_ / "builtin/a.json");
  EXPECT_EQ(c.find("bad"), nullptr);
  EXPECT_EQ(c.find("broken"), nullptr);
}

TEST_F(Catalog, LaterDirectoriesOverrideEarlierOnes) {
  write("builtin/a.json", small_kind("alpha", "Shipped"));
  write("builtin/b.json", small_kind("beta", "Beta"));
  write("user/mine.json", small_kind("alpha", "Mine"));
  std::vector<Issue> problems;
  KindCatalog c = KindCatalog::load({dir_ / "builtin", dir_ / "missing", dir_ / "user"}, &problems);
  EXPECT_TRUE(problems.empty()) << dump(problems) << "\n(a missing directory is not a problem)";
  ASSERT_EQ(c.kinds().size(), 2u);
  EXPECT_EQ(c.find("alpha")->title, "Mine");
  EXPECT_EQ(c.find("alpha")->source, dir_ / "user/mine.json");
  EXPECT_EQ(c.find("beta")->title, "Beta");
}

TEST_F(Catalog, SameNameTwiceInOneDirectoryIsAProblem) {
  write("k/1.json", small_kind("alpha", "First"));
  auto second = write("k/2.json", small_kind("alpha", "Second"));
  std::vector<Issue> problems;
  KindCatalog c = KindCatalog::load({dir_ / "k"}, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, second);
  EXPECT_CONTAINS(problems[0].message, "already defined by 1.json");
  EXPECT_EQ(c.find("alpha")->title, "First");
}

TEST_F(Catalog, AFileWhereADirectoryShouldBe) {
  auto file = write("plain.json", small_kind("alpha", "A"));
  std::vector<Issue> problems;
  KindCatalog c = KindCatalog::load({file}, &problems);
  EXPECT_TRUE(c.kinds().empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_CONTAINS(problems[0].message, "is not a directory");
  EXPECT_NO_THROW(KindCatalog::load({file}));   // problems are optional
}

// ---------------------------------------------------------------------------
// What ships: the kinds in plugins/ and the demo specs (ORRERY_SOURCE_DIR is set by CTest).

fs::path source_dir() {
  const char* s = std::getenv("ORRERY_SOURCE_DIR");
  return s ? fs::path(s) : fs::path();
}

KindCatalog shipped_kinds(std::vector<Issue>& problems) {
  // The plugins tree has one kind.json per folder; load each folder as a directory.
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(source_dir() / "plugins"))
    if (fs::exists(entry.path() / "kind.json")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return KindCatalog::load(dirs, &problems);
}

TEST(Shipped, EveryKindManifestIsValid) {
  if (source_dir().empty()) GTEST_SKIP() << "ORRERY_SOURCE_DIR not set (run through ctest)";
  std::vector<Issue> problems;
  KindCatalog c = shipped_kinds(problems);
  EXPECT_TRUE(problems.empty()) << dump(problems);
  for (const char* name : {"allreduce-bench", "command", "mpi-pi-py"}) EXPECT_TRUE(c.find(name)) << name;
}

TEST(Shipped, DemoSpecsValidateAndRender) {
  if (source_dir().empty()) GTEST_SKIP() << "ORRERY_SOURCE_DIR not set (run through ctest)";
  std::vector<Issue> problems;
  KindCatalog c = shipped_kinds(problems);
  const fs::path specs = source_dir() / "resources/demo/specs";
  const RenderContext ctx{"/b", "/s", "/p", "/r"};

  Validation quick = load_spec_file(specs / "allreduce-quick.json", c);
  ASSERT_TRUE(quick.ok()) << dump(quick.errors);
  EXPECT_EQ(quick.spec->ranks, 2);
  EXPECT_EQ(render_command(*c.find("allreduce-bench"), *quick.spec, ctx),
            (std::vector<std::string>{"/b/orrery-allreduce-bench", "--min_bytes=8", "--max_bytes=1048576",
                                      "--iterations=100", "--large_iterations=20", "--warmup=10"}));

  Validation full = load_spec_file(specs / "allreduce-full.json", c);
  ASSERT_TRUE(full.ok()) << dump(full.errors);
  EXPECT_EQ(full.spec->params["max_bytes"], 67108864);

  Validation pi = load_spec_file(specs / "mpi-pi.json", c);
  ASSERT_TRUE(pi.ok()) << dump(pi.errors);
  EXPECT_EQ(render_command(*c.find("mpi-pi-py"), *pi.spec, ctx),
            (std::vector<std::string>{"/usr/bin/python3", "-u", "/s/scripts/mpi_pi.py", "--rounds", "20",
                                      "--samples-per-round", "2000000", "--seed", "1"}));

  Validation cmd = validate_spec(json::parse(R"({"kind": "command", "params": {"argv": ["hostname", "-s"]}})"), c);
  ASSERT_TRUE(cmd.ok()) << dump(cmd.errors);
  EXPECT_EQ(render_command(*c.find("command"), *cmd.spec, ctx), (std::vector<std::string>{"hostname", "-s"}));
  expect_issues(validate_spec(json::parse(R"({"kind": "command"})"), c).errors,
                {{"$.params.argv", "missing required parameter \"argv\""}});

  expect_issues(validate_spec(json::parse(R"({"kind": "allreduce-bench", "params": {"max_bytes": 2147483648}})"), c).errors,
                {{"$.params.max_bytes", "must be between 4 and 1073741824 bytes, got 2147483648"}});
}

}  // namespace
