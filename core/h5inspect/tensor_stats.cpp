#include "h5inspect/tensor_stats.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace orrery::h5inspect {

void StatsAccumulator::add(const double* v, std::size_t n) {
  // One pass for counts, extremes and the block's sum; a second over the (cached)
  // block for its squared deviations from the block mean.
  std::uint64_t finite = 0;
  double sum = 0, sumsq = 0, lo = s_.min, hi = s_.max;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = v[i];
    if (x == 0) ++s_.zeros;
    if (std::isnan(x)) {
      ++s_.nans;
    } else if (std::isinf(x)) {
      ++s_.infs;
    } else {
      ++finite;
      sum += x;
      sumsq += x * x;
      if (!(x >= lo)) lo = x;   // also replaces the initial NaN
      if (!(x <= hi)) hi = x;
    }
  }
  s_.count += n;
  if (finite == 0) return;
  const double block_mean = sum / static_cast<double>(finite);
  double block_m2 = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(v[i])) block_m2 += (v[i] - block_mean) * (v[i] - block_mean);
  const double na = static_cast<double>(s_.finite), nb = static_cast<double>(finite);
  if (s_.finite == 0) {
    s_.mean = block_mean;
    m2_ = block_m2;
  } else {
    const double delta = block_mean - s_.mean;
    s_.mean += delta * nb / (na + nb);
    m2_ += block_m2 + delta * delta * na * nb / (na + nb);
  }
  s_.finite += finite;
  sumsq_ += sumsq;
  s_.min = lo;
  s_.max = hi;
}

TensorStats StatsAccumulator::result() const {
  TensorStats out = s_;
  if (out.finite > 0) out.std = std::sqrt(std::max(0.0, m2_ / static_cast<double>(out.finite)));
  out.norm = std::sqrt(sumsq_);
  return out;
}

namespace {

void check_cancel(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
}

// Calls visit(values, n) for each block of rows of t, in order.
template <typename Visit>
void for_each_block(const TensorFile& file, const TensorInfo& t, const Progress& progress,
                    const std::atomic<bool>* cancel, Visit&& visit) {
  const std::uint64_t step = rows_per_block(t);
  std::vector<double> block;
  for (std::uint64_t row = 0; row < t.rows(); row += step) {
    check_cancel(cancel);
    const std::uint64_t n = std::min(step, t.rows() - row);
    block.resize(n * t.row_elements());
    file.read_rows(t, row, n, NativeType::F64, block.data());
    visit(block.data(), block.size());
    if (progress) progress(block.size());
  }
}

}  // namespace

TensorStats tensor_stats(const TensorFile& file, const TensorInfo& t, const Progress& progress,
                         const std::atomic<bool>* cancel) {
  StatsAccumulator acc;
  for_each_block(file, t, progress, cancel, [&](const double* v, std::size_t n) { acc.add(v, n); });
  return acc.result();
}

Histogram tensor_histogram(const TensorFile& file, const TensorInfo& t, double lo, double hi, int bins,
                           const Progress& progress, const std::atomic<bool>* cancel) {
  Histogram h;
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo <= hi) || bins < 1)
    throw RunFileError("histogram of " + t.path + ": no finite range to bin");
  h.lo = lo;
  h.hi = hi;
  h.counts.assign(lo == hi ? 1 : static_cast<std::size_t>(bins), 0);
  const double scale = lo == hi ? 0.0 : static_cast<double>(h.counts.size()) / (hi - lo);
  const std::size_t last = h.counts.size() - 1;
  for_each_block(file, t, progress, cancel, [&](const double* v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const double x = v[i];
      if (!(x >= lo && x <= hi)) continue;   // NaN, Inf and values outside the range
      h.counts[std::min(last, static_cast<std::size_t>((x - lo) * scale))]++;
    }
  });
  return h;
}

TensorDiff tensor_diff(const TensorFile& a, const TensorInfo& ta, const TensorFile& b, const TensorInfo& tb,
                       const Progress& progress, const std::atomic<bool>* cancel) {
  TensorDiff d;
  d.path = ta.path;
  if (!ta.numeric() || !tb.numeric()) {
    d.kind = TensorDiff::Kind::NotNumeric;
    return d;
  }
  if (ta.shape != tb.shape) {
    d.kind = TensorDiff::Kind::ShapeDiffers;
    return d;
  }
  d.elements = ta.elements();
  const std::uint64_t step = rows_per_block(ta);
  std::vector<double> va, vb;
  double ssa = 0, ssb = 0, ssd = 0;
  for (std::uint64_t row = 0; row < ta.rows(); row += step) {
    check_cancel(cancel);
    const std::uint64_t n = std::min(step, ta.rows() - row);
    va.resize(n * ta.row_elements());
    vb.resize(va.size());
    a.read_rows(ta, row, n, NativeType::F64, va.data());
    b.read_rows(tb, row, n, NativeType::F64, vb.data());
    for (std::size_t i = 0; i < va.size(); ++i) {
      const double diff = vb[i] - va[i];
      ssa += va[i] * va[i];
      ssb += vb[i] * vb[i];
      ssd += diff * diff;
      d.max_abs_diff = std::max(d.max_abs_diff, std::abs(diff));
    }
    if (progress) progress(2 * va.size());
  }
  d.norm_a = std::sqrt(ssa);
  d.norm_b = std::sqrt(ssb);
  d.diff_norm = std::sqrt(ssd);
  d.relative_change = d.norm_a > 0 ? d.diff_norm / d.norm_a
                      : d.diff_norm > 0 ? std::numeric_limits<double>::infinity()
                                        : 0.0;
  return d;
}

std::uint64_t diff_elements(const TensorFile& a, const TensorFile& b) {
  std::uint64_t n = 0;
  for (const auto& ta : a.tensors()) {
    auto& tbs = b.tensors();
    auto it = std::lower_bound(tbs.begin(), tbs.end(), ta.path,
                               [](const TensorInfo& t, const std::string& p) { return t.path < p; });
    if (it != tbs.end() && it->path == ta.path && it->shape == ta.shape && ta.numeric() && it->numeric())
      n += 2 * ta.elements();
  }
  return n;
}

std::vector<TensorDiff> diff_files(const TensorFile& a, const TensorFile& b, const Progress& progress,
                                   const std::atomic<bool>* cancel) {
  std::map<std::string, const TensorInfo*> in_b;
  for (const auto& t : b.tensors()) in_b[t.path] = &t;
  std::vector<TensorDiff> out;
  for (const auto& ta : a.tensors()) {
    auto it = in_b.find(ta.path);
    if (it == in_b.end()) {
      TensorDiff d;
      d.path = ta.path;
      d.kind = TensorDiff::Kind::OnlyInA;
      out.push_back(d);
      continue;
    }
    out.push_back(tensor_diff(a, ta, b, *it->second, progress, cancel));
    in_b.erase(it);
  }
  for (const auto& [path, tb] : in_b) {
    TensorDiff d;
    d.path = path;
    d.kind = TensorDiff::Kind::OnlyInB;
    out.push_back(d);
  }
  std::stable_sort(out.begin(), out.end(), [](const TensorDiff& x, const TensorDiff& y) {
    const bool cx = x.kind == TensorDiff::Kind::Compared, cy = y.kind == TensorDiff::Kind::Compared;
    if (cx != cy) return cx;
    // NaN (a tensor holding NaN) sorts below every number: the order stays strict and weak.
    auto key = [](double r) { return std::isnan(r) ? -std::numeric_limits<double>::infinity() : r; };
    if (cx && key(x.relative_change) != key(y.relative_change)) return key(x.relative_change) > key(y.relative_change);
    return x.path < y.path;
  });
  return out;
}

}  // namespace orrery::h5inspect
