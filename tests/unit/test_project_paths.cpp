// Project folders and run paths (core/runfiles/project.hpp): run ids come from users
// and other processes, so ids are validated and every path into runs/ stays inside it.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runfiles/project.hpp"
#include "runfiles/run_record.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;


class ProjectPaths : public ::testing::Test {
 protected:
  orrery::test_support::TempDir tmp_{"orrery-proj"};
  fs::path dir_ = tmp_.path();
  Project make_project() { return open_project(dir_ / "proj", true); }
  // A run folder with a run.json naming it.
  void add_run(const Project& p, const std::string& id, const std::string& name) {
    fs::create_directories(p.runs_dir() / id);
    RunRecord r;
    r.id = id;
    r.name = name;
    r.kind = "toy";
    write_run_record(p.runs_dir() / id, r);
  }
};

// "YYYYmmdd-HHMMSS-<slug>-<4 lowercase hex>"
bool has_run_id_form(const std::string& id, const std::string& slug) {
  if (id.size() != 8 + 1 + 6 + 1 + slug.size() + 1 + 4) return false;
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
      if (id[i] < '0' || id[i] > '9') return false;
    return true;
  };
  const std::size_t tail = id.size() - 4;
  for (std::size_t i = tail; i < id.size(); ++i)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return false;
  return digits(0, 8) && id[8] == '-' && digits(9, 6) && id[15] == '-' && id.compare(16, slug.size(), slug) == 0 &&
         id[tail - 1] == '-';
}

// ---------------------------------------------------------------------------
// valid_run_id

TEST(ValidRunId, Table) {
  struct Case {
    std::string id;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"a", true},
      {"Z", true},
      {"0", true},
      {"run1", true},
      {"20261125-143012-gpt-train-1a2b", true},
      {"a.b", true},
      {"a_b", true},
      {"a-b", true},
      {"a.b.c", true},
      {"a-", true},
      {"a.", true},
      {"a_", true},
      {std::string(128, 'x'), true},
      {"", false},
      {".", false},
      {"..", false},
      {"...", false},
      {"a/b", false},
      {"/a", false},
      {"a/", false},
      {"../x", false},
      {"x/..", false},
      {"x..y", false},
      {"a..", false},
      {"-a", false},
      {"-", false},
      {".a", false},
      {".hidden", false},
      {"_a", false},
      {"caf\xc3\xa9", false},
      {"\xc3\xa9t\xc3\xa9", false},
      {"\xe2\x80\x8b" "a", false},
      {std::string(129, 'x'), false},
      {std::string(4096, 'x'), false},
      {"a b", false},
      {" a", false},
      {"a ", false},
      {"a\tb", false},
      {"a\nb", false},
      {std::string("a\0b", 3), false},
      {std::string("a\0", 2), false},
      {"a\\b", false},
      {"a:b", false},
      {"a*b", false},
      {"~a", false},
      {"$(x)", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("id '" + c.id + "' (" + std::to_string(c.id.size()) + " bytes)");
    EXPECT_EQ(valid_run_id(c.id), c.valid);
  }
}

// ---------------------------------------------------------------------------
// open_project

TEST_F(ProjectPaths, CreateWritesSettings) {
  const fs::path root = dir_ / "nested" / "my-project";
  Project p = open_project(root, true);
  EXPECT_EQ(p.root, fs::canonical(root));
  EXPECT_TRUE(p.root.is_absolute());
  ASSERT_TRUE(fs::is_regular_file(root / "orrery.json"));
  EXPECT_TRUE(fs::is_directory(root / "runs"));
  EXPECT_EQ(p.runs_dir(), p.root / "runs");
  EXPECT_EQ(p.kinds_dir(), p.root / "kinds");
  EXPECT_EQ(p.settings.value("name", ""), "my-project");
  ASSERT_TRUE(p.settings.contains("targets"));
  EXPECT_EQ(p.settings["targets"]["local"]["type"], "local");
  // What was written is what a fresh open reads; no temporary left behind.
  std::ifstream in(root / "orrery.json");
  auto on_disk = nlohmann::json::parse(in);
  EXPECT_EQ(on_disk, p.settings);
  for (const auto& e : fs::directory_iterator(root)) EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);

  Project again = open_project(root, false);
  EXPECT_EQ(again.root, p.root);
  EXPECT_EQ(again.settings, p.settings);
}

TEST_F(ProjectPaths, CreateKeepsExistingSettings) {
  fs::create_directories(dir_ / "p");
  std::ofstream(dir_ / "p" / "orrery.json") << R"({"name": "kept", "custom": 7})";
  Project p = open_project(dir_ / "p", true);
  EXPECT_EQ(p.settings.value("name", ""), "kept");
  EXPECT_EQ(p.settings.value("custom", 0), 7);
  EXPECT_TRUE(fs::is_directory(dir_ / "p" / "runs"));
}

TEST_F(ProjectPaths, OpenWithoutCreateOnEmptyDirThrows) {
  fs::create_directories(dir_ / "empty");
  try {
    open_project(dir_ / "empty", false);
    FAIL() << "no ProjectError";
  } catch (const ProjectError& e) {
    EXPECT_CONTAINS(e.what(), "orrery.json");
  }
  EXPECT_FALSE(fs::exists(dir_ / "empty" / "orrery.json"));
  EXPECT_FALSE(fs::exists(dir_ / "empty" / "runs"));
  EXPECT_THROW(open_project(dir_ / "does-not-exist", false), ProjectError);
  EXPECT_FALSE(fs::exists(dir_ / "does-not-exist"));
}

TEST_F(ProjectPaths, BrokenSettingsThrow) {
  for (const char* text : {"", "not json", "[1, 2]", "\"name\"", "{\"name\": "}) {
    SCOPED_TRACE(text);
    fs::remove_all(dir_ / "p");
    fs::create_directories(dir_ / "p");
    std::ofstream(dir_ / "p" / "orrery.json") << text;
    EXPECT_THROW(open_project(dir_ / "p", false), ProjectError);
    EXPECT_THROW(open_project(dir_ / "p", true), ProjectError);  // never overwritten
    std::ifstream in(dir_ / "p" / "orrery.json");
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(kept, text);
  }
}

TEST_F(ProjectPaths, FoundFromEnvironmentOrWorkingDirectory) {
  Project made = make_project();
  const fs::path old_cwd = fs::current_path();
  const char* old_env = std::getenv("ORRERY_PROJECT");
  const std::string saved_env = old_env ? old_env : "";

  fs::create_directories(made.root / "a" / "b");
  unsetenv("ORRERY_PROJECT");
  fs::current_path(made.root / "a" / "b");
  Project up = open_project(std::nullopt, false);
  EXPECT_EQ(up.root, made.root);

  fs::current_path(dir_);  // no orrery.json here or above (the temp dir)
  EXPECT_THROW(open_project(std::nullopt, false), ProjectError);

  setenv("ORRERY_PROJECT", made.root.c_str(), 1);
  Project from_env = open_project(std::nullopt, false);
  EXPECT_EQ(from_env.root, made.root);

  fs::current_path(old_cwd);
  if (old_env) setenv("ORRERY_PROJECT", saved_env.c_str(), 1);
  else unsetenv("ORRERY_PROJECT");
}

// ---------------------------------------------------------------------------
// make_run_id

TEST_F(ProjectPaths, MakeRunIdFormat) {
  Project p = make_project();
  const std::string id = make_run_id(p, "gpt-train");
  EXPECT_TRUE(has_run_id_form(id, "gpt-train")) << id;
  EXPECT_FALSE(has_run_id_form("20261125-143012-gpt-train-1A2B", "gpt-train"));  // the checker itself
  EXPECT_TRUE(has_run_id_form("20261125-143012-gpt-train-1a2b", "gpt-train"));
}

TEST_F(ProjectPaths, MakeRunIdIsValidForHostileNames) {
  Project p = make_project();
  const std::vector<std::string> names = {"../../etc/passwd", "a b", "", std::string(10'000, 'n'), "..", ".", "/",
                                          "-leading", ".hidden", "_under", "a/b\\c", std::string("nul\0x", 5),
                                          "caf\xc3\xa9", "$(touch x)", "\n", std::string(200, '.'), "x..y"};
  std::set<std::string> ids;
  for (const auto& name : names) {
    SCOPED_TRACE("name '" + name + "'");
    const std::string id = make_run_id(p, name);
    EXPECT_TRUE(valid_run_id(id)) << id;
    EXPECT_LE(id.size(), 128u);
    EXPECT_EQ(id.find('/'), std::string::npos);
    EXPECT_EQ(id.find(".."), std::string::npos);
    fs::path path;
    ASSERT_NO_THROW(path = run_path(p, id));
    EXPECT_EQ(path.parent_path(), p.runs_dir());
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
    fs::create_directory(path);
  }
  EXPECT_TRUE(has_run_id_form(make_run_id(p, ""), "run"));
  EXPECT_TRUE(has_run_id_form(make_run_id(p, "../../etc/passwd"), "------etc-passwd"));
  EXPECT_TRUE(has_run_id_form(make_run_id(p, "a b"), "a-b"));
}

TEST_F(ProjectPaths, MakeRunIdIsUniqueWithinTheProject) {
  Project p = make_project();
  std::set<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    const std::string id = make_run_id(p, "same");
    ASSERT_TRUE(ids.insert(id).second) << "duplicate " << id << " after " << i;
    ASSERT_FALSE(fs::exists(p.runs_dir() / id));
    fs::create_directory(p.runs_dir() / id);  // taken from now on
  }
}

// ---------------------------------------------------------------------------
// run_path

TEST_F(ProjectPaths, RunPathRejectsBadIds) {
  Project p = make_project();
  for (const std::string& id : {std::string(""), std::string("."), std::string(".."), std::string("../x"),
                                std::string("a/b"), std::string("/etc"), std::string("-rf"), std::string("x..y"),
                                std::string("a\0b", 3), std::string(129, 'x')}) {
    SCOPED_TRACE(id);
    EXPECT_THROW(run_path(p, id), ProjectError);
  }
  EXPECT_EQ(run_path(p, "run-1"), p.runs_dir() / "run-1");  // need not exist yet
}

TEST_F(ProjectPaths, RunPathRefusesSymlinkedRunFolder) {
  Project p = make_project();
  fs::create_directories(dir_ / "outside");
  fs::create_directory_symlink(dir_ / "outside", p.runs_dir() / "evil");
  try {
    run_path(p, "evil");
    FAIL() << "no ProjectError";
  } catch (const ProjectError& e) {
    EXPECT_CONTAINS(e.what(), "symbolic link");
  }
  // A dangling link too.
  fs::create_symlink(dir_ / "nowhere", p.runs_dir() / "dangling");
  EXPECT_THROW(run_path(p, "dangling"), ProjectError);
  fs::create_directory(p.runs_dir() / "real");
  EXPECT_EQ(run_path(p, "real"), p.runs_dir() / "real");
}

// ---------------------------------------------------------------------------
// list_run_ids

TEST_F(ProjectPaths, ListSkipsWhatIsNotARun) {
  Project p = make_project();
  EXPECT_TRUE(list_run_ids(p).empty());
  add_run(p, "20260102-000000-b-0002", "b");
  add_run(p, "20260101-000000-a-0001", "a");
  add_run(p, "20260103-000000-c-0003", "c");
  fs::create_directory(p.runs_dir() / "20260104-000000-no-json-0004");  // no run.json
  // A symlink with a valid name to a real run folder, and one to a run outside the project.
  fs::create_directory_symlink(p.runs_dir() / "20260101-000000-a-0001", p.runs_dir() / "20260105-link-0005");
  fs::create_directories(dir_ / "outside-run");
  std::ofstream(dir_ / "outside-run" / "run.json") << "{}";
  fs::create_directory_symlink(dir_ / "outside-run", p.runs_dir() / "20260106-outside-0006");
  // Invalid names holding a run.json.
  for (const char* bad : {"-bad", ".hidden", "_x", "has space", "x..y"}) {
    fs::create_directories(p.runs_dir() / bad);
    std::ofstream(p.runs_dir() / bad / "run.json") << "{}";
  }
  // A plain file with a valid name.
  std::ofstream(p.runs_dir() / "20260107-file-0007") << "x";
  EXPECT_EQ(list_run_ids(p), (std::vector<std::string>{"20260101-000000-a-0001", "20260102-000000-b-0002",
                                                       "20260103-000000-c-0003"}));
}

// ---------------------------------------------------------------------------
// resolve_run

TEST_F(ProjectPaths, ResolveRun) {
  Project p = make_project();
  add_run(p, "20260101-000000-alpha-0001", "alpha");
  add_run(p, "20260102-000000-alpha-0002", "alpha");
  add_run(p, "20260103-000000-beta-0003", "beta");
  add_run(p, "r1", "short");
  add_run(p, "r10", "shorter");

  // Exact id.
  EXPECT_EQ(resolve_run(p, "20260101-000000-alpha-0001"), "20260101-000000-alpha-0001");
  EXPECT_EQ(resolve_run(p, "r1"), "r1");  // exact wins over being a prefix of r10
  // Unique prefix.
  EXPECT_EQ(resolve_run(p, "20260103"), "20260103-000000-beta-0003");
  EXPECT_EQ(resolve_run(p, "20260102-000000-al"), "20260102-000000-alpha-0002");
  EXPECT_EQ(resolve_run(p, "r10"), "r10");
  // Ambiguous prefix.
  try {
    resolve_run(p, "2026");
    FAIL() << "no ProjectError";
  } catch (const ProjectError& e) {
    EXPECT_CONTAINS(e.what(), "matches 3 runs");
  }
  EXPECT_THROW(resolve_run(p, "r"), ProjectError);
  // By name: the latest run of that name.
  EXPECT_EQ(resolve_run(p, "alpha"), "20260102-000000-alpha-0002");
  EXPECT_EQ(resolve_run(p, "beta"), "20260103-000000-beta-0003");
  EXPECT_EQ(resolve_run(p, "shorter"), "r10");
  // Unknown.
  try {
    resolve_run(p, "gamma");
    FAIL() << "no ProjectError";
  } catch (const ProjectError& e) {
    EXPECT_CONTAINS(e.what(), "gamma");
  }
  EXPECT_THROW(resolve_run(p, ""), ProjectError);
  EXPECT_THROW(resolve_run(p, "../20260101-000000-alpha-0001"), ProjectError);
}

TEST_F(ProjectPaths, ResolveByNameSkipsUnreadableRecords) {
  Project p = make_project();
  add_run(p, "20260101-000000-x-0001", "target");
  fs::create_directories(p.runs_dir() / "20260102-000000-x-0002");
  std::ofstream(p.runs_dir() / "20260102-000000-x-0002" / "run.json") << "garbage {";
  EXPECT_EQ(resolve_run(p, "target"), "20260101-000000-x-0001");
}

}  // namespace
