// Helpers shared by the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

// Fails with both strings shown when `needle` is not in `haystack`.
#define EXPECT_CONTAINS(haystack, needle)                                                            \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "'" << (haystack) << "'\n" \
                                                                   << "does not contain '" << (needle) << "'"

namespace orrery::test_support {

// A fresh directory of its own under the system's temp folder (mkdtemp: unique, mode 0700),
// removed with everything in it when the object goes. The path is canonical, so tests may
// compare it with paths the code under test resolves.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "orrery-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = std::filesystem::canonical(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The message of the std::exception f() throws, or "(no error)" when it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace orrery::test_support
