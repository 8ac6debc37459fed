// core/h5inspect: any HDF5 file as a tree of tensors (listing, streamed statistics,
// histograms, diffs, 2-D slices, .npy/CSV export), checked against brute-force answers
// on files this test writes with the HDF5 C API; damaged files give RunFileError.
#include "h5_write_test_support.hpp"
#include "test_support.hpp"

#include "h5inspect/tensor_export.hpp"
#include "h5inspect/tensor_stats.hpp"

#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using namespace orrery::h5inspect;

using orrery::h5_test::H5Writer;

std::vector<float> random_floats(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

class H5InspectTest : public ::testing::Test {
 protected:
  orrery::test_support::TempDir tmp_{"orrery-h5inspect"};
  fs::path dir_ = tmp_.path();
};

// ---------------------------------------------------------------------------
// Listing

TEST_F(H5InspectTest, ListsEveryDatasetWithShapeTypeAndSize) {
  {
    H5Writer w(dir_ / "c.h5");
    w.write("/model/wte", {10, 4}, random_floats(40, 1), H5T_NATIVE_FLOAT);
    w.write("/model/h.0/ln/bias", {4}, std::vector<double>(4, 0.5), H5T_NATIVE_DOUBLE);
    w.write("/step", {}, std::vector<std::int64_t>{1000}, H5T_STD_I64LE);
    w.write("/tokens", {3, 2, 5}, std::vector<std::uint16_t>(30, 7), H5T_NATIVE_UINT16);
    w.write_string("/meta/note", "resume me");
  }
  TensorFile f(dir_ / "c.h5");
  ASSERT_EQ(f.tensors().size(), 5u);
  std::vector<std::string> paths;
  for (const auto& t : f.tensors()) paths.push_back(t.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/meta/note", "/model/h.0/ln/bias", "/model/wte", "/step", "/tokens"}));
  const auto& wte = f.tensor("/model/wte");
  EXPECT_EQ(wte.shape, (std::vector<std::uint64_t>{10, 4}));
  EXPECT_EQ(wte.dtype, "float32");
  EXPECT_EQ(wte.bytes(), 160u);
  EXPECT_EQ(f.tensor("/step").dtype, "int64");
  EXPECT_TRUE(f.tensor("/step").shape.empty());
  EXPECT_EQ(f.tensor("/step").elements(), 1u);
  EXPECT_EQ(f.tensor("/tokens").dtype, "uint16");
  EXPECT_EQ(f.tensor("/meta/note").dtype, "string");
  EXPECT_FALSE(f.tensor("/meta/note").numeric());
  EXPECT_THROW(f.tensor("/model"), RunFileError);
  EXPECT_THROW(f.read_rows(f.tensor("/meta/note"), 0, 1), RunFileError);
  EXPECT_EQ(f.read_rows(f.tensor("/tokens"), 1, 2), std::vector<double>(20, 7.0));
  EXPECT_THROW(f.read_rows(wte, 8, 3), RunFileError);
}

// ---------------------------------------------------------------------------
// Statistics

TensorStats brute_stats(const std::vector<double>& v) {
  TensorStats s;
  s.count = v.size();
  double sum = 0, sumsq = 0;
  for (double x : v) {
    if (x == 0) ++s.zeros;
    if (std::isnan(x)) ++s.nans;
    else if (std::isinf(x)) ++s.infs;
    else {
      ++s.finite;
      sum += x;
      sumsq += x * x;
      s.min = std::isnan(s.min) ? x : std::min(s.min, x);
      s.max = std::isnan(s.max) ? x : std::max(s.max, x);
    }
  }
  s.mean = sum / static_cast<double>(s.finite);
  double m2 = 0;
  for (double x : v) if (std::isfinite(x)) m2 += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(m2 / static_cast<double>(s.finite));
  s.norm = std::sqrt(sumsq);
  return s;
}

void expect_stats_near(const TensorStats& got, const TensorStats& want) {
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(got.finite, want.finite);
  EXPECT_EQ(got.zeros, want.zeros);
  EXPECT_EQ(got.nans, want.nans);
  EXPECT_EQ(got.infs, want.infs);
  EXPECT_EQ(got.min, want.min);
  EXPECT_EQ(got.max, want.max);
  EXPECT_NEAR(got.mean, want.mean, 1e-12 * (1 + std::abs(want.mean)));
  EXPECT_NEAR(got.std, want.std, 1e-10 * want.std);
  EXPECT_NEAR(got.norm, want.norm, 1e-12 * want.norm);
}

TEST_F(H5InspectTest, StatisticsMatchBruteForceWithNanInfAndZeros) {
  auto f32 = random_floats(3 * 700, 2, 0.02f);
  for (std::size_t i = 0; i < f32.size(); i += 97) f32[i] = 0.0f;
  f32[5] = std::numeric_limits<float>::quiet_NaN();
  f32[6] = std::numeric_limits<float>::infinity();
  f32[7] = -std::numeric_limits<float>::infinity();
  {
    H5Writer w(dir_ / "s.h5");
    w.write("/w", {3, 700}, f32, H5T_NATIVE_FLOAT, 1);   // chunked and compressed: read through the filter
    w.write("/i", {5}, std::vector<std::int32_t>{-3, 0, 4, 0, 9}, H5T_NATIVE_INT32);
  }
  TensorFile f(dir_ / "s.h5");
  std::uint64_t reported = 0;
  TensorStats s = tensor_stats(f, f.tensor("/w"), [&](std::uint64_t n) { reported += n; });
  expect_stats_near(s, brute_stats(std::vector<double>(f32.begin(), f32.end())));
  EXPECT_EQ(reported, f32.size());
  EXPECT_EQ(s.nans, 1u);
  EXPECT_EQ(s.infs, 2u);
  EXPECT_NEAR(s.zero_fraction(), static_cast<double>(s.zeros) / 2100.0, 1e-15);
  TensorStats si = tensor_stats(f, f.tensor("/i"));
  EXPECT_EQ(si.min, -3);
  EXPECT_EQ(si.max, 9);
  EXPECT_DOUBLE_EQ(si.mean, 2.0);
  EXPECT_EQ(si.zeros, 2u);
}

TEST(StatsAccumulator, MergingBlocksOfAnySizeGivesTheWholeAnswer) {
  std::mt19937 rng(3);
  std::normal_distribution<double> dist(1e4, 0.5);   // a large mean: naive sum-of-squares variance loses it
  std::vector<double> v(5000);
  for (auto& x : v) x = dist(rng);
  v[17] = std::numeric_limits<double>::quiet_NaN();
  StatsAccumulator acc;
  std::size_t at = 0;
  for (std::size_t len : {1u, 0u, 999u, 3u, 2500u, 1497u}) {
    acc.add(v.data() + at, len);
    at += len;
  }
  ASSERT_EQ(at, v.size());
  expect_stats_near(acc.result(), brute_stats(v));
  StatsAccumulator empty;
  EXPECT_TRUE(std::isnan(empty.result().mean));
  EXPECT_EQ(empty.result().norm, 0);
}

TEST_F(H5InspectTest, HistogramBinsEveryFiniteValueOnce) {
  auto v = random_floats(1000, 4);
  v[0] = std::numeric_limits<float>::quiet_NaN();
  { H5Writer(dir_ / "h.h5").write("/w", {1000}, v, H5T_NATIVE_FLOAT); }
  TensorFile f(dir_ / "h.h5");
  const auto& t = f.tensor("/w");
  TensorStats s = tensor_stats(f, t);
  Histogram h = tensor_histogram(f, t, s.min, s.max, 16);
  ASSERT_EQ(h.counts.size(), 16u);
  std::vector<std::uint64_t> want(16, 0);
  for (float x : v) {
    if (std::isnan(x)) continue;
    auto bin = static_cast<std::size_t>((static_cast<double>(x) - s.min) * 16 / (s.max - s.min));
    want[std::min<std::size_t>(bin, 15)]++;
  }
  EXPECT_EQ(h.counts, want);
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), std::uint64_t{0}), 999u);
  EXPECT_THROW(tensor_histogram(f, t, 0, std::numeric_limits<double>::quiet_NaN(), 8), RunFileError);
  EXPECT_EQ(tensor_histogram(f, t, 1, 1, 8).counts.size(), 1u);
}

// ---------------------------------------------------------------------------
// Diff

TEST_F(H5InspectTest, DiffOfTwoCheckpointsIsSortedByRelativeChange) {
  auto a = random_floats(600, 5), b = a;
  auto small = random_floats(8, 6), small_b = small;
  for (std::size_t i = 0; i < b.size(); i += 3) b[i] += 0.1f;
  small_b[2] += 5.0f;
  {
    H5Writer w(dir_ / "a.h5");
    w.write("/big", {20, 30}, a, H5T_NATIVE_FLOAT);
    w.write("/small", {8}, small, H5T_NATIVE_FLOAT);
    w.write("/same", {4}, std::vector<double>{1, 2, 3, 4}, H5T_NATIVE_DOUBLE);
    w.write("/reshaped", {4}, std::vector<double>{1, 2, 3, 4}, H5T_NATIVE_DOUBLE);
    w.write("/gone", {1}, std::vector<double>{1}, H5T_NATIVE_DOUBLE);
  }
  {
    H5Writer w(dir_ / "b.h5");
    w.write("/big", {20, 30}, b, H5T_NATIVE_FLOAT);
    w.write("/small", {8}, small_b, H5T_NATIVE_FLOAT);
    w.write("/same", {4}, std::vector<double>{1, 2, 3, 4}, H5T_NATIVE_DOUBLE);
    w.write("/reshaped", {2, 2}, std::vector<double>{1, 2, 3, 4}, H5T_NATIVE_DOUBLE);
    w.write("/new", {1}, std::vector<double>{1}, H5T_NATIVE_DOUBLE);
  }
  TensorFile fa(dir_ / "a.h5"), fb(dir_ / "b.h5");
  std::uint64_t reported = 0;
  auto diffs = diff_files(fa, fb, [&](std::uint64_t n) { reported += n; });
  EXPECT_EQ(reported, diff_elements(fa, fb));
  EXPECT_EQ(reported, 2u * (600 + 8 + 4));
  ASSERT_EQ(diffs.size(), 6u);
  auto brute = [](const std::vector<float>& x, const std::vector<float>& y) {
    double d = 0, n = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      d += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
      n += double(x[i]) * x[i];
    }
    return std::pair{std::sqrt(d), std::sqrt(d) / std::sqrt(n)};
  };
  // small changed by 5 in one of 8 values: a larger relative change than big's 0.1 in a third.
  EXPECT_EQ(diffs[0].path, "/small");
  EXPECT_NEAR(diffs[0].diff_norm, brute(small, small_b).first, 1e-9);
  EXPECT_NEAR(diffs[0].relative_change, brute(small, small_b).second, 1e-9);
  EXPECT_NEAR(diffs[0].max_abs_diff, 5.0, 1e-6);
  EXPECT_EQ(diffs[1].path, "/big");
  EXPECT_NEAR(diffs[1].relative_change, brute(a, b).second, 1e-9);
  EXPECT_EQ(diffs[2].path, "/same");
  EXPECT_EQ(diffs[2].relative_change, 0.0);
  EXPECT_EQ(diffs[3].path, "/gone");
  EXPECT_EQ(diffs[3].kind, TensorDiff::Kind::OnlyInA);
  EXPECT_EQ(diffs[4].path, "/new");
  EXPECT_EQ(diffs[4].kind, TensorDiff::Kind::OnlyInB);
  EXPECT_EQ(diffs[5].path, "/reshaped");
  EXPECT_EQ(diffs[5].kind, TensorDiff::Kind::ShapeDiffers);
}

// ---------------------------------------------------------------------------
// Slices

TEST_F(H5InspectTest, SliceOfAnyTwoDimensionsMatchesIndexing) {
  const std::uint64_t A = 4, B = 5, C = 6;
  std::vector<double> v(A * B * C);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  auto at = [&](std::uint64_t a, std::uint64_t b, std::uint64_t c) { return v[(a * B + b) * C + c]; };
  { H5Writer(dir_ / "n.h5").write("/t", {A, B, C}, v, H5T_NATIVE_DOUBLE); }
  TensorFile f(dir_ / "n.h5");
  const auto& t = f.tensor("/t");
  // rows: dim 2 (c = 1, 3, 5), columns: dim 0 (a = 0..3), b fixed at 2: the transposed case.
  SliceSpec s;
  s.row_dim = 2, s.col_dim = 0, s.fixed = {0, 2, 0};
  s.row0 = 1, s.rows = 3, s.row_step = 2, s.col0 = 0, s.cols = 4;
  auto got = f.read_slice(t, s);
  ASSERT_EQ(got.size(), 12u);
  for (std::uint64_t r = 0; r < 3; ++r)
    for (std::uint64_t c = 0; c < 4; ++c) EXPECT_EQ(got[r * 4 + c], at(c, 2, 1 + 2 * r)) << r << "," << c;
  // rows: dim 1, columns: dim 2, a fixed at 3.
  SliceSpec s2;
  s2.row_dim = 1, s2.col_dim = 2, s2.fixed = {3, 0, 0};
  s2.row0 = 2, s2.rows = 3, s2.col0 = 4, s2.cols = 2;
  got = f.read_slice(t, s2);
  for (std::uint64_t r = 0; r < 3; ++r)
    for (std::uint64_t c = 0; c < 2; ++c) EXPECT_EQ(got[r * 2 + c], at(3, 2 + r, 4 + c));
  // Refused: outside, same dimension twice, fixed index outside, step 0.
  s2.rows = 4;
  EXPECT_THROW(f.read_slice(t, s2), RunFileError);
  s2.rows = 3, s2.col_dim = 1;
  EXPECT_THROW(f.read_slice(t, s2), RunFileError);
  s2.col_dim = 2, s2.fixed = {4, 0, 0};
  EXPECT_THROW(f.read_slice(t, s2), RunFileError);
  s2.fixed = {3, 0, 0}, s2.row_step = 0;
  EXPECT_THROW(f.read_slice(t, s2), RunFileError);
}

// ---------------------------------------------------------------------------
// Export

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(H5InspectTest, ExportsNpyWithItsDtypeAndCsvExactly) {
  std::vector<float> v = {1.5f, -0.1f, 3e-8f, 0.0f, 1e30f, -2.0f};
  {
    H5Writer w(dir_ / "e.h5");
    w.write("/w", {2, 3}, v, H5T_NATIVE_FLOAT);
    w.write("/ids", {3}, std::vector<std::int64_t>{-1, 0, 1LL << 40}, H5T_NATIVE_INT64);
    w.write_string("/note", "x");
  }
  TensorFile f(dir_ / "e.h5");
  export_npy(f, f.tensor("/w"), dir_ / "w.npy");
  std::string npy = slurp(dir_ / "w.npy");
  ASSERT_EQ(npy.size() % 64, (6 * 4) % 64);
  ASSERT_EQ(npy.substr(0, 6), "\x93NUMPY");
  const std::size_t header_len = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_CONTAINS(npy.substr(10, header_len), "'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(std::memcmp(npy.data() + 10 + header_len, v.data(), v.size() * 4), 0);
  EXPECT_CONTAINS(npy_header(f.tensor("/ids")), "'descr': '<i8', 'fortran_order': False, 'shape': (3,), }");

  export_csv(f, f.tensor("/w"), dir_ / "w.csv");
  EXPECT_EQ(slurp(dir_ / "w.csv"), "1.5,-0.1,3e-08\n0,1e+30,-2\n");
  export_csv(f, f.tensor("/ids"), dir_ / "ids.csv");
  EXPECT_EQ(slurp(dir_ / "ids.csv"), "-1\n0\n1099511627776\n");

  EXPECT_THROW(export_csv(f, f.tensor("/note"), dir_ / "note.csv"), RunFileError);
  EXPECT_THROW(export_npy(f, f.tensor("/w"), dir_ / "missing-dir" / "w.npy"), RunFileError);
  std::atomic<bool> cancel{true};
  EXPECT_THROW(export_npy(f, f.tensor("/w"), dir_ / "c.npy", {}, &cancel), Cancelled);
  EXPECT_THROW(tensor_stats(f, f.tensor("/w"), {}, &cancel), Cancelled);
  EXPECT_FALSE(fs::exists(dir_ / "c.npy"));
  EXPECT_FALSE(fs::exists(dir_ / "c.npy.partial"));
}

// ---------------------------------------------------------------------------
// Damaged files: RunFileError with a clear message, never a crash.

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void expect_open_error(const fs::path& p, const std::string& fragment) {
  try {
    TensorFile f(p);
    ADD_FAILURE() << "opened " << p;
  } catch (const RunFileError& e) {
    EXPECT_CONTAINS(e.what(), fragment);
  }
}

// Opens the file and reads every tensor's statistics; whatever fails must be RunFileError.
void read_everything_or_refuse(const fs::path& p) {
  try {
    TensorFile f(p);
    for (const auto& t : f.tensors())
      if (t.numeric()) tensor_stats(f, t);
  } catch (const RunFileError& e) {
    EXPECT_GT(std::strlen(e.what()), 10u);
  }
}

TEST_F(H5InspectTest, DamagedFilesAreReportedNeverCrash) {
  expect_open_error(dir_ / "missing.h5", "does not exist");
  expect_open_error(dir_, "not a regular file");
  write_bytes(dir_ / "empty.h5", "");
  expect_open_error(dir_ / "empty.h5", "not an HDF5 file");
  write_bytes(dir_ / "text.h5", "step,value\n1,2\n");
  expect_open_error(dir_ / "text.h5", "not an HDF5 file");

  {
    H5Writer w(dir_ / "good.h5");
    w.write("/model/a", {40, 50}, random_floats(2000, 8), H5T_NATIVE_FLOAT);
    w.write("/model/b", {40, 50}, random_floats(2000, 9), H5T_NATIVE_FLOAT, 8);
    w.write("/opt/step", {}, std::vector<std::int64_t>{3}, H5T_NATIVE_INT64);
  }
  const std::string good = slurp(dir_ / "good.h5");
  // Truncated anywhere: refused at open (HDF5 checks the end of file against its superblock).
  for (std::size_t len : {std::size_t{8}, std::size_t{100}, good.size() / 3, good.size() / 2, good.size() - 1}) {
    write_bytes(dir_ / "cut.h5", good.substr(0, len));
    expect_open_error(dir_ / "cut.h5", "'");
    read_everything_or_refuse(dir_ / "cut.h5");
  }
  write_bytes(dir_ / "cut.h5", good.substr(0, good.size() / 2));
  expect_open_error(dir_ / "cut.h5", "truncated or damaged");
  // Bytes overwritten: refused somewhere, or read as (wrong) numbers; never a crash.
  std::mt19937 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    std::string bad = good;
    const std::size_t at = rng() % bad.size(), len = 1 + rng() % 64;
    for (std::size_t i = at; i < std::min(bad.size(), at + len); ++i) bad[i] = static_cast<char>(rng());
    write_bytes(dir_ / "bad.h5", bad);
    read_everything_or_refuse(dir_ / "bad.h5");
  }
}

}  // namespace
