#include "fed/dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "fed/rng.hpp"

namespace orrery::fed {

namespace {

constexpr KnownDataset kKnown[] = {
    {"digits", "digits.csv.gz", 1797, 64, 10, 8},
    {"breast_cancer", "breast_cancer.csv", 569, 30, 2, 0},
    {"wine", "wine_data.csv", 178, 13, 3, 0},
};

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

bool parse_number(std::string_view s, double& v) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(v);
}

std::runtime_error bad_line(std::string_view what, std::size_t line, const std::string& why) {
  return std::runtime_error(std::string(what) + ", line " + std::to_string(line) + ": " + why);
}

}  // namespace

std::span<const KnownDataset> known_datasets() { return kKnown; }

const KnownDataset* find_dataset(std::string_view name) {
  for (const auto& k : kKnown)
    if (k.name == name) return &k;
  return nullptr;
}

Dataset parse_sklearn_csv(std::string_view text, std::string_view what) {
  Dataset d;
  std::size_t line_no = 0, declared_rows = 0, columns = 0;
  bool header = false;
  std::vector<double> values;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto fields = split_fields(line);
    values.resize(fields.size());
    bool numeric = true;
    for (std::size_t i = 0; i < fields.size() && numeric; ++i) numeric = parse_number(fields[i], values[i]);
    if (line_no == 1 && !numeric) {
      // sklearn's header: n_samples, n_features, then the class names.
      double n = 0, f = 0;
      if (fields.size() < 3 || !parse_number(fields[0], n) || !parse_number(fields[1], f) || n < 1 || f < 1)
        throw bad_line(what, line_no, "expected a header 'n_samples,n_features,class names...' or a data row");
      header = true;
      declared_rows = static_cast<std::size_t>(n);
      columns = static_cast<std::size_t>(f) + 1;
      continue;
    }
    if (!numeric) throw bad_line(what, line_no, "a field is not a number");
    if (columns == 0) columns = fields.size();
    if (columns < 2) throw bad_line(what, line_no, "a row needs at least one feature and a label");
    if (fields.size() != columns)
      throw bad_line(what, line_no,
                     std::to_string(fields.size()) + " fields where the file's rows have " + std::to_string(columns));
    const double label = values.back();
    if (label < 0 || label != std::floor(label) || label > 1e6)
      throw bad_line(what, line_no, "the label (last field) must be a whole number >= 0");
    for (std::size_t i = 0; i + 1 < columns; ++i) d.x.push_back(static_cast<float>(values[i]));
    d.y.push_back(static_cast<int>(label));
    d.classes = std::max(d.classes, static_cast<int>(label) + 1);
  }
  if (d.y.empty()) throw std::runtime_error(std::string(what) + ": no data rows");
  d.features = columns - 1;
  if (header && declared_rows != d.rows())
    throw std::runtime_error(std::string(what) + ": the header announces " + std::to_string(declared_rows) +
                             " rows, the file has " + std::to_string(d.rows()));
  return d;
}

std::string read_maybe_gzip(const std::filesystem::path& path) {
  // gzopen reads a plain file as it is, so one reader serves both kinds.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path.string());
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(f, &err);
      gzclose(f);
      throw std::runtime_error("cannot read " + path.string() + ": " + msg);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  gzclose(f);
  return out;
}

Dataset load_dataset(std::string_view name, const std::filesystem::path& dir) {
  const KnownDataset* known = find_dataset(name);
  if (!known) {
    std::string names;
    for (const auto& k : kKnown) names += (names.empty() ? "" : ", ") + std::string(k.name);
    throw std::runtime_error("unknown dataset '" + std::string(name) + "' (known: " + names + ")");
  }
  const auto path = dir / known->file;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error("dataset '" + std::string(name) + "': " + path.string() +
                             " not found (it ships with Debian's python3-sklearn: apt-get install python3-sklearn, "
                             "or run packaging/install-deps.sh)");
  Dataset d = parse_sklearn_csv(read_maybe_gzip(path), path.string());
  if (d.rows() != known->rows || d.features != known->features || d.classes != known->classes)
    throw std::runtime_error(path.string() + ": expected " + std::to_string(known->rows) + " rows of " +
                             std::to_string(known->features) + " features and " + std::to_string(known->classes) +
                             " classes, found " + std::to_string(d.rows()) + " rows of " +
                             std::to_string(d.features) + " features and " + std::to_string(d.classes) + " classes");
  return d;
}

TrainTest split(const Dataset& all, double test_fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(all.rows());
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng(seed, Stream::split).shuffle(std::span(order));
  const auto n_test = static_cast<std::size_t>(std::llround(static_cast<double>(all.rows()) * test_fraction));

  TrainTest out;
  for (Dataset* part : {&out.train, &out.test}) {
    part->features = all.features;
    part->classes = all.classes;
  }
  for (std::size_t k = 0; k < order.size(); ++k) {
    Dataset& part = k < n_test ? out.test : out.train;
    const auto r = all.row(order[k]);
    part.x.insert(part.x.end(), r.begin(), r.end());
    part.y.push_back(all.y[order[k]]);
  }
  return out;
}

void standardise(TrainTest& data) {
  const std::size_t f = data.train.features;
  std::vector<double> mean(f, 0.0), var(f, 0.0);
  const auto n = static_cast<double>(data.train.rows());
  for (std::size_t i = 0; i < data.train.rows(); ++i)
    for (std::size_t j = 0; j < f; ++j) mean[j] += data.train.x[i * f + j];
  for (auto& m : mean) m /= n;
  for (std::size_t i = 0; i < data.train.rows(); ++i)
    for (std::size_t j = 0; j < f; ++j) {
      const double d = data.train.x[i * f + j] - mean[j];
      var[j] += d * d;
    }
  for (Dataset* part : {&data.train, &data.test})
    for (std::size_t i = 0; i < part->rows(); ++i)
      for (std::size_t j = 0; j < f; ++j) {
        const double sd = std::sqrt(var[j] / n);
        float& v = part->x[i * f + j];
        v = sd > 1e-12 ? static_cast<float>((v - mean[j]) / sd) : 0.0f;
      }
}

Dataset with_shifts(const Dataset& images, std::size_t side) {
  if (side * side != images.features) throw std::invalid_argument("with_shifts: rows are not side x side images");
  Dataset out;
  out.features = images.features;
  out.classes = images.classes;
  out.x.reserve(images.x.size() * 9);
  out.y.reserve(images.rows() * 9);
  const auto s = static_cast<std::ptrdiff_t>(side);
  // The unshifted image first, then the 8 neighbours' shifts, row by row.
  constexpr std::ptrdiff_t kOffsets[] = {0, -1, 1};
  for (const std::ptrdiff_t dy : kOffsets)
    for (const std::ptrdiff_t dx : kOffsets)
      for (std::size_t i = 0; i < images.rows(); ++i) {
        const auto img = images.row(i);
        for (std::ptrdiff_t r = 0; r < s; ++r)
          for (std::ptrdiff_t c = 0; c < s; ++c) {
            const std::ptrdiff_t sr = r - dy, sc = c - dx;
            out.x.push_back(sr >= 0 && sr < s && sc >= 0 && sc < s ? img[static_cast<std::size_t>(sr * s + sc)] : 0.0f);
          }
        out.y.push_back(images.y[i]);
      }
  return out;
}

}  // namespace orrery::fed
