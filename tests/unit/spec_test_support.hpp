// Shared by the spec tests (test_spec_validation.cpp, test_spec_render.cpp,
// test_kind_manifest.cpp): two job kinds that between them use every parameter type,
// a catalog of them, and exact matching of reported issues.
#pragma once

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/kind_catalog.hpp"
#include "spec/kind_schema.hpp"
#include "spec/render_command.hpp"
#include "spec/spec.hpp"

namespace orrery::spec_test {

namespace fs = std::filesystem;
using namespace orrery::spec;
using nlohmann::json;

// gtest only (the test targets do not link gmock).

// ---------------------------------------------------------------------------
// Fixtures: two kinds that between them use every parameter type.

inline const char* const kToyManifest = R"({
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

inline const char* const kToolManifest = R"({
  "name": "tool", "runner": "command",
  "command": ["{share}/tool", "--n={iterations}", "{args}", "--out", "{run_dir}/out.txt",
              "--ranks={ranks}", "{{literal}}", "{bin}:{project}"],
  "params": [
    {"name": "iterations", "type": "int", "default": 3},
    {"name": "args", "type": "string_list", "default": ["a", "b c"]}
  ]
})";

inline KindSchema must_parse(const char* manifest) {
  std::vector<Issue> problems;
  auto kind = parse_kind(json::parse(manifest), "inline.json", &problems);
  for (const auto& p : problems) ADD_FAILURE() << to_string(p);
  if (!kind) throw std::runtime_error("fixture manifest rejected");
  return *kind;
}

inline const KindCatalog& catalog() {
  static const KindCatalog c = KindCatalog::from_kinds({must_parse(kToyManifest), must_parse(kToolManifest)});
  return c;
}

struct Expected {
  std::string path;
  std::string message_part;
};

inline std::string dump(const std::vector<Issue>& issues) {
  std::string out;
  for (const auto& i : issues) out += "\n  " + to_string(i);
  return out;
}

// Exactly the expected issues, in any order, each matched once.
inline void expect_issues(const std::vector<Issue>& got, const std::vector<Expected>& want) {
  EXPECT_EQ(got.size(), want.size()) << "issues:" << dump(got);
  for (const auto& w : want) {
    bool found = std::any_of(got.begin(), got.end(), [&](const Issue& i) {
      return i.path == w.path && i.message.find(w.message_part) != std::string::npos;
    });
    EXPECT_TRUE(found) << "expected an issue at " << w.path << " containing '" << w.message_part << "'; got:" << dump(got);
  }
}


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

}  // namespace orrery::spec_test
