// Rendering a validated spec into an argv (core/spec/render_command.hpp): one flag per
// parameter for workers, template substitution for commands, never a shell.
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

}  // namespace
