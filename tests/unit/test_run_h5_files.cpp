// run.h5 files that are not what they should be (core/runfiles/run_h5_reader.cpp), and CSV
// export (csv_export.cpp): clear RunFileError messages, never a crash or an escape.
#include "run_h5_test_support.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runfiles/csv_export.hpp"

namespace {

namespace fs = std::filesystem;
using namespace orrery::runfiles;
using namespace orrery::run_h5_test;

// ---------------------------------------------------------------------------
// Damaged files: RunFileError with a clear message, never a crash.

void expect_open_error(const fs::path& p, const std::string& fragment) {
  try {
    RunH5Reader r(p);
    ADD_FAILURE() << "opened " << p;
  } catch (const RunFileError& e) {
    EXPECT_CONTAINS(e.what(), fragment);
  }
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(RunH5Test, MissingOrForeignFilesAreReported) {
  expect_open_error(dir_ / "missing.h5", "does not exist");
  expect_open_error(dir_, "not a regular file");
  write_bytes(dir_ / "empty.h5", "");
  expect_open_error(dir_ / "empty.h5", "not an HDF5 file");
  write_bytes(dir_ / "text.h5", "step,time,value\n1,2,3\n");
  expect_open_error(dir_ / "text.h5", "not an HDF5 file");
  std::mt19937 rng(7);
  std::string noise(1 << 16, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  write_bytes(dir_ / "noise.h5", noise);
  expect_open_error(dir_ / "noise.h5", "not an HDF5 file");

  // HDF5, but not a run file.
  fs::path other = dir_ / "other.h5";
  hid_t f = H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Fclose(f);
  expect_open_error(other, "not an Orrery run file");
}

TEST_F(RunH5Test, NewerFormatVersionIsReported) {
  { RunH5Writer w(file_, test_info()); }
  hid_t f = H5Fopen(file_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  ASSERT_GE(H5Adelete(f, "format_version"), 0);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(f, "format_version", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
  int two = 2;
  ASSERT_GE(H5Awrite(attr, H5T_NATIVE_INT, &two), 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Fclose(f);
  expect_open_error(file_, "format_version 2");
  expect_open_error(file_, "newer Orrery");
}

// Truncations and overwrites of a valid file at many places: each either reads
// (damage in raw data is not detectable) or throws RunFileError.
TEST_F(RunH5Test, DamagedFilesNeverCrash) {
  {
    RunH5Writer w(file_, test_info());
    for (int s = 0; s < 12; ++s) append_points(w, "metrics", s % 3, "group/s" + std::to_string(s), 0, 3000);
    w.append_reduced("loss", 0, 1, 1, 1, 1, 1);
    w.append_spans(0, std::vector<SpanRecord>{{"compute", "x", 0, 1, 2}});
    w.append_event({1, 0, 0, "k", "t"});
    w.set_attribute("status", "succeeded");
    w.close();
  }
  const std::string good = slurp(file_);
  ASSERT_GT(good.size(), 10000u);
  fs::path bad = dir_ / "bad.h5";
  std::size_t opened = 0, refused = 0;
  auto attempt = [&](const std::string& bytes, const std::string& what) {
    write_bytes(bad, bytes);
    try {
      RunH5Reader r(bad);
      read_everything(r);
      ++opened;
    } catch (const RunFileError& e) {
      EXPECT_FALSE(std::string(e.what()).empty()) << what;
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": unexpected " << typeid(e).name() << ": " << e.what();
    }
  };
  for (std::size_t len : {std::size_t{0}, std::size_t{8}, std::size_t{47}, std::size_t{100}, std::size_t{1000},
                          good.size() / 4, good.size() / 2, good.size() - 4096, good.size() - 1})
    attempt(good.substr(0, len), "truncated to " + std::to_string(len));
  std::mt19937 rng(1234);
  for (std::size_t off = 0; off < good.size(); off += std::max<std::size_t>(good.size() / 150, 1)) {
    std::string damaged = good;
    for (std::size_t i = off; i < std::min(off + 64, damaged.size()); ++i) damaged[i] = static_cast<char>(rng());
    attempt(damaged, "garbage at " + std::to_string(off));
  }
  // The truncation cases at least must be refused with a message naming the problem.
  write_bytes(bad, good.substr(0, good.size() / 2));
  expect_open_error(bad, "truncated");
  std::printf("damaged files: %zu read anyway, %zu refused\n", opened, refused);
}

// ---------------------------------------------------------------------------
// CSV export

TEST_F(RunH5Test, CsvExportWritesOneFilePerSeries) {
  {
    RunH5Writer w(file_, test_info());
    std::vector<std::int64_t> steps{0, 1, 2};
    std::vector<double> times{1700000000.5, 1700000001.25, 1700000002};
    std::vector<double> values{0.1, -2.5e-10, 3};
    ASSERT_TRUE(w.append_series("metrics", 0, "train/loss", steps, times, values));
    ASSERT_TRUE(w.append_series("system", 1, "cpu", std::vector<std::int64_t>{5}, std::vector<double>{1.5},
                                std::vector<double>{NAN}));
    ASSERT_TRUE(w.append_reduced("train/loss", 0, 1700000000.5, 0.25, 0.1, 0.4, 2));
    w.close();
  }
  RunH5Reader r(file_);
  fs::path out = dir_ / "csv";
  auto files = export_csv(r, out);
  std::vector<fs::path> expected = {out / "metrics/rank-0/train/loss.csv", out / "system/rank-1/cpu.csv",
                                    out / "reduced/train/loss.csv"};
  EXPECT_EQ(files, expected);
  EXPECT_EQ(slurp(out / "metrics/rank-0/train/loss.csv"),
            "step,time,value\n0,1700000000.5,0.1\n1,1700000001.25,-2.5e-10\n2,1700000002,3\n");
  EXPECT_EQ(slurp(out / "system/rank-1/cpu.csv"), "step,time,value\n5,1.5,nan\n");
  EXPECT_EQ(slurp(out / "reduced/train/loss.csv"), "step,time,mean,min,max,count\n0,1700000000.5,0.25,0.1,0.4,2\n");

  // Exporting again overwrites.
  EXPECT_EQ(export_csv(r, out), expected);
}

// A hand-edited run.h5 with names that are not valid series names must not make the
// export write anywhere else, or anything at all.
TEST_F(RunH5Test, CsvExportCannotEscapeItsFolder) {
  {
    RunH5Writer w(file_, test_info());
    ASSERT_TRUE(append_points(w, "metrics", 0, "loss", 0, 3));
    w.close();
  }
  for (const char* hostile : {"..", "x y", "a\\b", "..\\..\\evil"}) {
    fs::path copy = dir_ / "hostile.h5";
    fs::copy_file(file_, copy, fs::copy_options::overwrite_existing);
    hid_t f = H5Fopen(copy.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    hid_t g = H5Gopen2(f, "/reduced", H5P_DEFAULT);
    ASSERT_GE(g, 0);
    ASSERT_GE(H5Lcreate_hard(f, "/metrics/rank-0/loss", g, hostile, H5P_DEFAULT, H5P_DEFAULT), 0) << hostile;
    H5Gclose(g);
    H5Fclose(f);

    RunH5Reader r(copy);
    auto names = r.reduced_names();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], hostile);
    fs::path out = dir_ / "csv-out";
    try {
      export_csv(r, out);
      ADD_FAILURE() << "exported " << hostile;
    } catch (const RunFileError& e) {
      EXPECT_CONTAINS(e.what(), "not a valid series name");
    }
    EXPECT_FALSE(fs::exists(out)) << hostile;
    for (const auto& entry : fs::directory_iterator(dir_))
      EXPECT_TRUE(entry.path().filename() == "run.h5" || entry.path().filename() == "hostile.h5")
          << entry.path();
  }

  // A symbolic link inside the export folder is not followed.
  fs::path elsewhere = dir_ / "elsewhere";
  fs::create_directories(elsewhere);
  fs::path out = dir_ / "csv-link";
  fs::create_directories(out);
  fs::create_directory_symlink(elsewhere, out / "metrics");
  RunH5Reader r(file_);
  EXPECT_THROW(export_csv(r, out), RunFileError);
  EXPECT_TRUE(fs::is_empty(elsewhere));
}

}  // namespace
