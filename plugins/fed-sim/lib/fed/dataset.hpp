// The learning data of a fed-sim run: a labelled table of features.
//
// The sets come from Debian's python3-sklearn, which ships them as small CSV
// files under sklearn/datasets/data: digits.csv.gz (1,797 8x8 images, no
// header), breast_cancer.csv and wine_data.csv (a header line
// "n_samples,n_features,class names..."). Each row is the features, then the
// class label. zlib reads the gzip file and the plain ones alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::fed {

struct Dataset {
  std::size_t features = 0;
  int classes = 0;
  std::vector<float> x;   // (rows, features), row-major
  std::vector<int> y;     // (rows), each in [0, classes)

  std::size_t rows() const { return y.size(); }
  std::span<const float> row(std::size_t i) const { return {x.data() + i * features, features}; }
};

// A data set that fed-sim knows by name, with the shape its file must have.
struct KnownDataset {
  std::string_view name;
  std::string_view file;   // below the sklearn data directory
  std::size_t rows;
  std::size_t features;
  int classes;
  std::size_t image_side;   // > 0: rows are square images (digits_shifted augments them)
};
std::span<const KnownDataset> known_datasets();
const KnownDataset* find_dataset(std::string_view name);

// The Debian location of sklearn's bundled data sets.
inline constexpr std::string_view kSklearnDataDir = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

// Parses the text of a sklearn data CSV (header line optional; label last).
// Throws std::runtime_error naming `what` and the line on malformed input.
Dataset parse_sklearn_csv(std::string_view text, std::string_view what);

// Reads a file, gzip-compressed or plain. Throws std::runtime_error when it cannot.
std::string read_maybe_gzip(const std::filesystem::path& path);

// Loads `name` from `dir` and checks the file has the set's known shape.
// A missing file throws with a hint at the Debian package that ships it.
Dataset load_dataset(std::string_view name, const std::filesystem::path& dir);

struct TrainTest {
  Dataset train, test;
};
// A seeded shuffle, then the first round(rows * test_fraction) rows are the test set.
TrainTest split(const Dataset& all, double test_fraction, std::uint64_t seed);

// Standardises every feature with the training rows' mean and standard deviation
// (the test set stays unseen; a constant feature, like a digit's always-blank
// corner, becomes 0).
void standardise(TrainTest& data);

// Adds the 8 one-pixel shifts (up, down, left, right, diagonals; blank pixels move
// in) of every square side x side image row, so the set is 9 times as large. The
// classic augmentation of the 8x8 digits (scikit-learn's RBM example "nudges" them
// the same way); it lets more clients than the 1,438 training digits each hold
// samples of their own.
Dataset with_shifts(const Dataset& images, std::size_t side);

}  // namespace orrery::fed
