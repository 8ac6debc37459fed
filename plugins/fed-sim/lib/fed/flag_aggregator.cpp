#include "fed/flag_aggregator.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::fed {

namespace {

constexpr int kReweightings = 8;       // IRLS rounds
constexpr int kPowerSteps = 15;        // subspace iterations per IRLS round
constexpr double kEps = 1e-4;          // keeps a weight finite for a direction inside the subspace

// Orthonormalises the k columns of y (d x k, column-major) in place by modified
// Gram-Schmidt; a column that becomes (numerically) zero is left zero. Returns how many
// columns are non-zero.
std::size_t orthonormalise(std::vector<double>& y, std::size_t d, std::size_t k) {
  std::size_t rank = 0;
  for (std::size_t a = 0; a < k; ++a) {
    double* ca = y.data() + a * d;
    for (std::size_t b = 0; b < a; ++b) {
      const double* cb = y.data() + b * d;
      double dot = 0;
      for (std::size_t i = 0; i < d; ++i) dot += ca[i] * cb[i];
      for (std::size_t i = 0; i < d; ++i) ca[i] -= dot * cb[i];
    }
    double norm = 0;
    for (std::size_t i = 0; i < d; ++i) norm += ca[i] * ca[i];
    norm = std::sqrt(norm);
    if (norm < 1e-12) {
      std::fill(ca, ca + d, 0.0);
      continue;
    }
    for (std::size_t i = 0; i < d; ++i) ca[i] /= norm;
    ++rank;
  }
  return rank;
}

}  // namespace

FlagResult flag_rule(const UpdateView& u, std::size_t dims) {
  const std::size_t n = u.clients(), d = u.params;
  const std::size_t k = std::min({dims, n, d});
  // Directions u_i (n x d, row-major).
  std::vector<double> dir(n * d, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    const auto row = u.row(r);
    double norm = 0;
    for (float v : row) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (std::size_t i = 0; i < d; ++i) dir[r * d + i] = row[i] / norm;
  }
  // Start: the first k directions, orthonormalised (zero columns where they are dependent).
  std::vector<double> y(d * k, 0.0);
  for (std::size_t a = 0; a < k; ++a) std::copy_n(dir.begin() + static_cast<std::ptrdiff_t>(a * d), d, y.begin() + static_cast<std::ptrdiff_t>(a * d));
  orthonormalise(y, d, k);

  FlagResult out;
  out.weights.assign(n, 1.0);
  std::vector<double> proj(n * k), z(d * k);
  const auto project = [&](const std::vector<double>& rows) {   // proj = rows Y  (n x k)
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t a = 0; a < k; ++a) {
        double s = 0;
        for (std::size_t i = 0; i < d; ++i) s += rows[r * d + i] * y[a * d + i];
        proj[r * k + a] = s;
      }
  };
  for (int it = 0; it < kReweightings; ++it) {
    for (int p = 0; p < kPowerSteps; ++p) {
      // z = S Y = sum_i w_i u_i (u_i^T Y)
      project(dir);
      std::fill(z.begin(), z.end(), 0.0);
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t a = 0; a < k; ++a) {
          const double c = out.weights[r] * proj[r * k + a];
          for (std::size_t i = 0; i < d; ++i) z[a * d + i] += c * dir[r * d + i];
        }
      y = z;
      orthonormalise(y, d, k);
    }
    project(dir);
    for (std::size_t r = 0; r < n; ++r) {
      double inside = 0;
      for (std::size_t a = 0; a < k; ++a) inside += proj[r * k + a] * proj[r * k + a];
      out.weights[r] = 1.0 / std::sqrt(std::max(0.0, 1.0 - inside) + kEps);
    }
  }
  // Centre: coordinate-wise median of the updates' coordinates in the subspace.
  std::vector<double> rows(n * d);
  for (std::size_t r = 0; r < n; ++r) {
    const auto row = u.row(r);
    for (std::size_t i = 0; i < d; ++i) rows[r * d + i] = row[i];
  }
  project(rows);
  std::vector<double> centre(k), col(n);
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t r = 0; r < n; ++r) col[r] = proj[r * k + a];
    std::sort(col.begin(), col.end());
    centre[a] = n % 2 ? col[n / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
  }
  out.update.assign(d, 0.0f);
  for (std::size_t i = 0; i < d; ++i) {
    double s = 0;
    for (std::size_t a = 0; a < k; ++a) s += y[a * d + i] * centre[a];
    out.update[i] = static_cast<float>(s);
  }
  return out;
}

}  // namespace orrery::fed
