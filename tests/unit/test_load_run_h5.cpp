// Loading run.h5 into a SeriesStore (core/series/load_run_h5.cpp): every metrics and
// system series arrives with its exact points, and loading again only appends what
// the file gained (the store stays a prefix of the file: no duplicates).

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "series/load_run_h5.hpp"
#include "series/series_store.hpp"

namespace {

namespace fs = std::filesystem;
using orrery::runfiles::RunH5Info;
using orrery::runfiles::RunH5Reader;
using orrery::runfiles::RunH5Writer;
using orrery::series::SeriesStore;

class LoadRunH5Test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "orrery-load-h5-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

// Appends points [from, to) of a series whose step i has time 1.7e9 + i/4 and value f(i).
void append_range(RunH5Writer& w, std::string_view group, int rank, std::string_view name, int from, int to) {
  std::vector<std::int64_t> steps;
  std::vector<double> times, values;
  for (int i = from; i < to; ++i) {
    steps.push_back(i);
    times.push_back(1.7e9 + i * 0.25);
    values.push_back(i == 7 ? NAN : std::sin(i * 0.1) * (rank + 1));
  }
  ASSERT_TRUE(w.append_series(group, rank, name, steps, times, values));
}

// A closed run.h5 with `n` points of loss on ranks 0 and 1, n/2 of train/acc on rank 1,
// 3 system samples of cpu_percent per rank.
fs::path write_file(const fs::path& path, int n) {
  RunH5Writer w(path, RunH5Info{"r1", "command", 2});
  append_range(w, "metrics", 0, "loss", 0, n / 2);
  w.flush();
  append_range(w, "metrics", 0, "loss", n / 2, n);
  append_range(w, "metrics", 1, "loss", 0, n);
  append_range(w, "metrics", 1, "train/acc", 0, n / 2);
  for (int r = 0; r < 2; ++r) append_range(w, "system", r, "cpu_percent", 0, 3);
  w.close();
  return path;
}

// Every file series is in the store with identical columns, and the store has nothing else.
void expect_store_equals_file(const SeriesStore& store, const std::string& run_id, const fs::path& path) {
  RunH5Reader reader(path);
  const auto file_keys = reader.list_series();
  EXPECT_EQ(store.keys_of_run(run_id).size(), file_keys.size());
  for (const auto& key : file_keys) {
    const auto data = reader.read_series(key);
    auto series = store.find(orrery::series::store_key(run_id, key));
    ASSERT_TRUE(series) << key.group << "/" << key.rank << "/" << key.name;
    series->read([&](const orrery::series::Columns& c) {
      EXPECT_EQ(c.steps, data.steps) << key.name;
      EXPECT_EQ(c.times, data.times) << key.name;
      ASSERT_EQ(c.values.size(), data.values.size());
      for (std::size_t i = 0; i < c.values.size(); ++i) {
        if (std::isnan(data.values[i])) EXPECT_TRUE(std::isnan(c.values[i]));
        else EXPECT_EQ(c.values[i], data.values[i]) << key.name << " point " << i;
      }
    });
  }
}

TEST_F(LoadRunH5Test, LoadsEveryMetricsAndSystemSeries) {
  const auto path = write_file(dir_ / "run.h5", 100);
  SeriesStore store;
  const auto report = orrery::series::load_run_h5(store, "r1", path);
  EXPECT_EQ(report.series, 5u);
  EXPECT_EQ(report.points_added, 100u + 100u + 50u + 3u + 3u);
  EXPECT_TRUE(report.ahead.empty());
  EXPECT_TRUE(report.differ.empty());
  expect_store_equals_file(store, "r1", path);
  auto acc = store.find({"r1", "metrics", "train/acc", 1});
  ASSERT_TRUE(acc);
  EXPECT_EQ(acc->size(), 50u);
  EXPECT_FALSE(store.find({"r1", "metrics", "train/acc", 0}));
}

TEST_F(LoadRunH5Test, LoadingAgainAddsNothing) {
  const auto path = write_file(dir_ / "run.h5", 40);
  SeriesStore store;
  orrery::series::load_run_h5(store, "r1", path);
  const auto generation = store.generation();
  const auto again = orrery::series::load_run_h5(store, "r1", path);
  EXPECT_EQ(again.points_added, 0u);
  EXPECT_EQ(store.generation(), generation);
  expect_store_equals_file(store, "r1", path);
}

// The same run read while it grows: a later file holds the earlier one as its prefix
// (as a live run.h5 after more flushes). Only the new points are appended.
TEST_F(LoadRunH5Test, LoadingAGrownFileAppendsOnlyTheNewPoints) {
  const auto early = write_file(dir_ / "early.h5", 40);
  const auto later = write_file(dir_ / "later.h5", 100);
  SeriesStore store;
  orrery::series::load_run_h5(store, "r1", early);
  const auto report = orrery::series::load_run_h5(store, "r1", later);
  EXPECT_EQ(report.points_added, 60u + 60u + 30u);
  EXPECT_TRUE(report.ahead.empty());
  EXPECT_TRUE(report.differ.empty());
  expect_store_equals_file(store, "r1", later);
}

// A store ahead of the file (live feed points not flushed yet) is neither cut nor extended.
TEST_F(LoadRunH5Test, AStoreAheadOfTheFileIsReportedAndLeftAlone) {
  const auto early = write_file(dir_ / "early.h5", 40);
  const auto later = write_file(dir_ / "later.h5", 100);
  SeriesStore store;
  orrery::series::load_run_h5(store, "r1", later);
  const auto report = orrery::series::load_run_h5(store, "r1", early);
  EXPECT_EQ(report.points_added, 0u);
  EXPECT_EQ(report.ahead.size(), 3u);   // loss ×2 ranks, train/acc
  expect_store_equals_file(store, "r1", later);
}

// A store whose points are not the file's is reported, never silently mixed with it.
TEST_F(LoadRunH5Test, AStoreThatDisagreesWithTheFileIsReported) {
  const auto path = write_file(dir_ / "run.h5", 40);
  SeriesStore store;
  std::vector<std::int64_t> steps{0, 1};
  std::vector<double> times{1.0, 2.0}, values{5.0, 6.0};
  store.get_or_create({"r1", "metrics", "loss", 0})->append(steps, times, values);
  const auto report = orrery::series::load_run_h5(store, "r1", path);
  ASSERT_EQ(report.differ.size(), 1u);
  EXPECT_EQ(report.differ[0].name, "loss");
  EXPECT_EQ(store.find({"r1", "metrics", "loss", 0})->size(), 2u);
}

TEST_F(LoadRunH5Test, FilterChoosesTheSeries) {
  const auto path = write_file(dir_ / "run.h5", 20);
  SeriesStore store;
  orrery::series::load_run_h5(store, "r1", path,
                              [](const orrery::runfiles::SeriesKey& k) { return k.group == "system"; });
  EXPECT_EQ(store.keys_of_run("r1").size(), 2u);
  EXPECT_FALSE(store.find({"r1", "metrics", "loss", 0}));
}

TEST_F(LoadRunH5Test, AMissingFileThrowsRunFileError) {
  SeriesStore store;
  EXPECT_THROW(orrery::series::load_run_h5(store, "r1", dir_ / "absent.h5"), orrery::runfiles::RunFileError);
}

}  // namespace
