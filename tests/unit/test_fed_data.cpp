// fed-sim's data: sklearn's CSV files (digits.csv.gz, breast_cancer.csv, wine_data.csv),
// their validation, and the seeded train/test split with standardisation.
#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

#include "fed/dataset.hpp"
#include "test_support.hpp"

using namespace orrery::fed;
using orrery::test_support::TempDir;

TEST(FedData, ParsesHeaderlessRows) {
  const Dataset d = parse_sklearn_csv("0.0,1.5,2\n3.0,4.0,0\n\n1,1,1\n", "t");
  EXPECT_EQ(d.rows(), 3u);
  EXPECT_EQ(d.features, 2u);
  EXPECT_EQ(d.classes, 3);
  EXPECT_EQ(d.y, (std::vector<int>{2, 0, 1}));
  EXPECT_FLOAT_EQ(d.row(0)[1], 1.5f);
  EXPECT_FLOAT_EQ(d.row(2)[0], 1.0f);
}

TEST(FedData, ParsesSklearnHeaderAndChecksItsRowCount) {
  const Dataset d = parse_sklearn_csv("2,3,class_0,class_1\r\n1,2,3,0\r\n4,5,6,1\r\n", "t");
  EXPECT_EQ(d.rows(), 2u);
  EXPECT_EQ(d.features, 3u);
  EXPECT_EQ(d.classes, 2);
  try {
    parse_sklearn_csv("3,3,a,b\n1,2,3,0\n4,5,6,1\n", "wine_data.csv");
    FAIL() << "a short file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "announces 3 rows, the file has 2");
  }
}

TEST(FedData, RejectsMalformedRowsWithTheirLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"1,2,0\n1,2\n", "line 2: 2 fields where the file's rows have 3"},
      {"1,2,0\n1,x,1\n", "line 2: a field is not a number"},
      {"1,2,0.5\n", "line 1: the label (last field) must be a whole number"},
      {"1,2,-1\n", "line 1: the label"},
      {"", "no data rows"},
      {"7\n", "line 1: a row needs at least one feature and a label"},
      {"1,2,0\n1,inf,1\n", "line 2: a field is not a number"},
  };
  for (const auto& c : cases) {
    try {
      parse_sklearn_csv(c.text, "f.csv");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const std::runtime_error& e) {
      EXPECT_CONTAINS(e.what(), c.message);
    }
  }
}

TEST(FedData, ReadsGzipAndPlainFilesAlike) {
  TempDir dir;
  const std::string text = "1,2,0\n3,4,1\n";
  {
    std::ofstream(dir.path() / "plain.csv") << text;
    gzFile f = gzopen((dir.path() / "packed.csv.gz").c_str(), "wb");
    ASSERT_TRUE(f);
    ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    gzclose(f);
  }
  EXPECT_EQ(read_maybe_gzip(dir.path() / "plain.csv"), text);
  EXPECT_EQ(read_maybe_gzip(dir.path() / "packed.csv.gz"), text);
  EXPECT_THROW(read_maybe_gzip(dir.path() / "absent.csv"), std::runtime_error);
}

TEST(FedData, MissingOrWrongFilesGiveClearErrors) {
  TempDir dir;
  try {
    load_dataset("digits", dir.path());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "digits.csv.gz not found");
    EXPECT_CONTAINS(e.what(), "python3-sklearn");
  }
  std::ofstream(dir.path() / "wine_data.csv") << "2,2,a,b\n1,2,0\n3,4,1\n";
  try {
    load_dataset("wine", dir.path());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "expected 178 rows of 13 features and 3 classes, found 2 rows of 2 features");
  }
  EXPECT_THROW(load_dataset("mnist", dir.path()), std::runtime_error);
}

// The real files from Debian's python3-sklearn (packaging/install-deps.sh installs it).
TEST(FedData, LoadsSklearnDigitsBreastCancerAndWine) {
  for (const auto& k : known_datasets()) {
    SCOPED_TRACE(std::string(k.name));
    const Dataset d = load_dataset(k.name, std::string(kSklearnDataDir));
    EXPECT_EQ(d.rows(), k.rows);
    EXPECT_EQ(d.features, k.features);
    std::set<int> labels(d.y.begin(), d.y.end());
    EXPECT_EQ(static_cast<int>(labels.size()), k.classes);
  }
  const Dataset digits = load_dataset("digits", std::string(kSklearnDataDir));
  // Pixels are 0..16 intensities.
  for (float v : digits.x) ASSERT_TRUE(v >= 0 && v <= 16 && v == std::floor(v)) << v;
}

TEST(FedData, SplitIsSeededDisjointAndStandardised) {
  const Dataset all = parse_sklearn_csv([] {
    std::string s;
    for (int i = 0; i < 100; ++i) s += std::to_string(i) + ",7," + std::to_string(i % 4) + "\n";
    return s;
  }(), "t");
  TrainTest a = split(all, 0.25, 5), b = split(all, 0.25, 5), c = split(all, 0.25, 6);
  for (TrainTest* t : {&a, &b, &c}) standardise(*t);
  EXPECT_EQ(a.test.rows(), 25u);
  EXPECT_EQ(a.train.rows(), 75u);
  EXPECT_EQ(a.train.x, b.train.x);
  EXPECT_EQ(a.test.y, b.test.y);
  EXPECT_NE(a.test.x, c.test.x);
  // Column 0 is the row id; both parts are standardised by the same affine map, so
  // 100 distinct values over train and test mean every row is in exactly one part.
  std::set<float> ids;
  for (const Dataset* part : {&a.train, &a.test})
    for (std::size_t i = 0; i < part->rows(); ++i) ids.insert(part->row(i)[0]);
  EXPECT_EQ(ids.size(), 100u);
  // Training columns: mean 0, variance 1; the constant column stays 0.
  double mean = 0, sq = 0;
  for (std::size_t i = 0; i < a.train.rows(); ++i) {
    mean += a.train.row(i)[0];
    sq += a.train.row(i)[0] * a.train.row(i)[0];
    EXPECT_EQ(a.train.row(i)[1], 0.0f);
  }
  EXPECT_NEAR(mean / 75, 0.0, 1e-5);
  EXPECT_NEAR(sq / 75, 1.0, 1e-4);
}

TEST(FedData, ShiftsMoveTheImageByOnePixel) {
  Dataset img;   // one 3x3 image with a single lit centre pixel
  img.features = 9;
  img.classes = 2;
  img.x = {0, 0, 0, 0, 5, 0, 0, 0, 0};
  img.y = {1};
  const Dataset s = with_shifts(img, 3);
  ASSERT_EQ(s.rows(), 9u);
  EXPECT_EQ(s.y, std::vector<int>(9, 1));
  std::set<std::size_t> lit;
  for (std::size_t i = 0; i < 9; ++i) {
    const auto r = s.row(i);
    EXPECT_EQ(std::count(r.begin(), r.end(), 5.0f), 1);
    lit.insert(static_cast<std::size_t>(std::find(r.begin(), r.end(), 5.0f) - r.begin()));
  }
  EXPECT_EQ(lit.size(), 9u);   // the pixel lands on every cell once
  EXPECT_FLOAT_EQ(s.row(0)[4], 5.0f);   // first the unshifted image
  // A corner pixel falls off for shifts away from it: blank pixels move in.
  img.x = {7, 0, 0, 0, 0, 0, 0, 0, 0};
  const Dataset c = with_shifts(img, 3);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    const auto r = c.row(i);
    if (std::count(r.begin(), r.end(), 7.0f) > 0) ++kept;
  }
  EXPECT_EQ(kept, 4u);   // no shift, right, down, down-right
  EXPECT_THROW(with_shifts(img, 4), std::invalid_argument);
}
