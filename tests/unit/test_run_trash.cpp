// Deleting a run moves its folder to <project>/trash (core/runfiles/trash.cpp): hostile
// ids, symbolic links and clashing names never make it touch anything else.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "runfiles/project.hpp"
#include "runfiles/trash.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;

class RunTrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "orrery-trash-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    project_ = open_project(dir_ / "prj", true);
    fs::create_directories(project_.runs_dir());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path make_run(const std::string& id) {
    auto run = project_.runs_dir() / id;
    fs::create_directories(run / "logs");
    std::ofstream(run / "run.json") << "{}";
    std::ofstream(run / "logs" / "rank-0.log") << "hello\n";
    return run;
  }
  fs::path dir_;
  Project project_;
};

TEST_F(RunTrashTest, MovesTheRunFolderWithEverythingInIt) {
  make_run("20261125-120000-a-0001");
  const auto to = move_run_to_trash(project_, "20261125-120000-a-0001");
  EXPECT_EQ(to, project_.root / "trash" / "20261125-120000-a-0001");
  EXPECT_FALSE(fs::exists(project_.runs_dir() / "20261125-120000-a-0001"));
  EXPECT_TRUE(fs::exists(to / "run.json"));
  EXPECT_TRUE(fs::exists(to / "logs" / "rank-0.log"));
}

TEST_F(RunTrashTest, ANameTakenInTheTrashGetsASuffix) {
  make_run("r1");
  EXPECT_EQ(move_run_to_trash(project_, "r1").filename(), "r1");
  make_run("r1");
  EXPECT_EQ(move_run_to_trash(project_, "r1").filename(), "r1-1");
  make_run("r1");
  EXPECT_EQ(move_run_to_trash(project_, "r1").filename(), "r1-2");
  EXPECT_TRUE(fs::exists(project_.root / "trash" / "r1" / "run.json"));
  EXPECT_TRUE(fs::exists(project_.root / "trash" / "r1-2" / "run.json"));
}

TEST_F(RunTrashTest, HostileIdsAreRefusedAndTouchNothing) {
  std::ofstream(dir_ / "precious") << "keep";
  fs::create_directories(dir_ / "elsewhere");
  for (const char* id : {"../x", "..", ".", "", "a/b", "/etc", "../../precious", "-rf"}) {
    EXPECT_THROW(move_run_to_trash(project_, id), ProjectError) << id;
  }
  EXPECT_TRUE(fs::exists(dir_ / "precious"));
  EXPECT_TRUE(fs::exists(dir_ / "elsewhere"));
  EXPECT_FALSE(fs::exists(project_.root / "trash" / ".."));
}

TEST_F(RunTrashTest, ASymbolicLinkInRunsIsNotFollowed) {
  fs::create_directories(dir_ / "outside");
  std::ofstream(dir_ / "outside" / "data") << "not a run";
  fs::create_directory_symlink(dir_ / "outside", project_.runs_dir() / "linked");
  try {
    move_run_to_trash(project_, "linked");
    FAIL() << "moved a symbolic link";
  } catch (const ProjectError& e) {
    EXPECT_CONTAINS(e.what(), "symbolic link");
  }
  EXPECT_TRUE(fs::exists(dir_ / "outside" / "data"));
  EXPECT_TRUE(fs::is_symlink(project_.runs_dir() / "linked"));
}

TEST_F(RunTrashTest, ATrashThatIsALinkIsRefused) {
  make_run("r2");
  fs::create_directories(dir_ / "other");
  fs::create_directory_symlink(dir_ / "other", project_.root / "trash");
  EXPECT_THROW(move_run_to_trash(project_, "r2"), ProjectError);
  EXPECT_TRUE(fs::exists(project_.runs_dir() / "r2" / "run.json"));
  EXPECT_TRUE(fs::is_empty(dir_ / "other"));
}

TEST_F(RunTrashTest, AMissingRunOrAFileIsReported) {
  EXPECT_THROW(move_run_to_trash(project_, "absent"), ProjectError);
  std::ofstream(project_.runs_dir() / "plainfile") << "x";
  EXPECT_THROW(move_run_to_trash(project_, "plainfile"), ProjectError);
  EXPECT_TRUE(fs::exists(project_.runs_dir() / "plainfile"));
}

}  // namespace
