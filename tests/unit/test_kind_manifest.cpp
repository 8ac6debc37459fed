// Job-kind manifests (core/spec/kind_schema.hpp, kind_catalog.hpp): bad manifests as a
// table, parsed fields, catalogs loaded from folders, and the kinds and demo specs we ship.
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
