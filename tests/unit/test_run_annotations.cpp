// Tags and notes the workbench keeps in runs/<id>/annotations.json
// (core/runfiles/annotations.cpp): round trip, bad input refused, hostile files ignored.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "runfiles/annotations.hpp"
#include "runfiles/project.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;

class RunAnnotationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "orrery-annot-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    project_ = open_project(dir_ / "prj", true);
    fs::create_directories(project_.runs_dir() / "r1");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  Project project_;
};

TEST_F(RunAnnotationsTest, RoundTrip) {
  EXPECT_EQ(read_annotations(project_, "r1"), Annotations{});
  Annotations a{{"baseline", "lr sweep", "ünïcode"}, "first line\nsecond \"quoted\" line"};
  write_annotations(project_, "r1", a);
  EXPECT_EQ(read_annotations(project_, "r1"), a);
  EXPECT_FALSE(fs::exists(project_.runs_dir() / "r1" / "run.json"));   // run.json is the agent's: untouched
  // No temporary file left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(project_.runs_dir() / "r1")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(RunAnnotationsTest, BadInputIsRefused) {
  EXPECT_THROW(write_annotations(project_, "../x", {}), ProjectError);
  EXPECT_THROW(write_annotations(project_, "absent", {}), ProjectError);
  EXPECT_THROW(write_annotations(project_, "r1", {{"bad\ttag"}, ""}), ProjectError);
  EXPECT_THROW(write_annotations(project_, "r1", {{""}, ""}), ProjectError);
  EXPECT_THROW(write_annotations(project_, "r1", {{" padded"}, ""}), ProjectError);
  EXPECT_THROW(write_annotations(project_, "r1", {{}, std::string(kMaxAnnotationNotesBytes + 1, 'x')}), ProjectError);
  EXPECT_THROW(read_annotations(project_, "../x"), ProjectError);
  EXPECT_FALSE(fs::exists(project_.runs_dir() / "r1" / "annotations.json"));
}

TEST_F(RunAnnotationsTest, MalformedFilesReadAsEmptyOrKeepTheGoodParts) {
  const auto file = project_.runs_dir() / "r1" / "annotations.json";
  std::ofstream(file) << "{not json";
  EXPECT_EQ(read_annotations(project_, "r1"), Annotations{});
  std::ofstream(file) << R"({"tags": ["ok", 3, "bad\u0001", "fine"], "notes": 12})";
  EXPECT_EQ(read_annotations(project_, "r1"), (Annotations{{"ok", "fine"}, ""}));
  std::ofstream(file) << "[1, 2]";
  EXPECT_EQ(read_annotations(project_, "r1"), Annotations{});
}

TEST_F(RunAnnotationsTest, ASymbolicLinkIsNotFollowedAndIsReplacedNotWrittenThrough) {
  const auto outside = dir_ / "secret.json";
  std::ofstream(outside) << R"({"tags": ["leaked"], "notes": "outside"})";
  const auto file = project_.runs_dir() / "r1" / "annotations.json";
  fs::create_symlink(outside, file);
  EXPECT_EQ(read_annotations(project_, "r1"), Annotations{});
  write_annotations(project_, "r1", {{"mine"}, "n"});
  EXPECT_FALSE(fs::is_symlink(file));
  EXPECT_EQ(read_annotations(project_, "r1"), (Annotations{{"mine"}, "n"}));
  std::ifstream in(outside);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_CONTAINS(text.str(), "leaked");   // the link's target is untouched
}

}  // namespace
