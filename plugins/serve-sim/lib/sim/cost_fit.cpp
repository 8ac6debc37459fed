#include "sim/cost_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace orrery::sim {

namespace {

constexpr std::size_t kMaxTerms = 3;
using Row = std::array<double, kMaxTerms>;  // regressors of one sample (the constant first)

// Solves the weighted least-squares problem over the regressors in `use` (others fixed at 0) by the
// normal equations (symmetric, positive semi-definite: elimination needs no pivoting); a
// regressor that adds nothing to the others (its pivot vanishes, e.g. every batch of one
// size) is dropped. Then drops the most negative coefficient, if any, and solves again:
// non-negative least squares for three terms.
Row non_negative_least_squares(const std::vector<Row>& x, const std::vector<double>& y, const std::vector<double>& w) {
  std::array<bool, kMaxTerms> use{true, true, true};
  for (;;) {
    std::array<std::array<double, kMaxTerms + 1>, kMaxTerms> a{};  // [X'X | X'y] over the used terms
    for (std::size_t s = 0; s < x.size(); ++s)
      for (std::size_t i = 0; i < kMaxTerms; ++i) {
        if (!use[i]) continue;
        for (std::size_t j = 0; j < kMaxTerms; ++j)
          if (use[j]) a[i][j] += w[s] * x[s][i] * x[s][j];
        a[i][kMaxTerms] += w[s] * x[s][i] * y[s];
      }
    Row diagonal{};
    for (std::size_t i = 0; i < kMaxTerms; ++i) {
      if (!use[i]) a[i][i] = 1;  // fixed at 0
      diagonal[i] = a[i][i];
    }
    bool dropped = false;
    for (std::size_t c = 0; c < kMaxTerms && !dropped; ++c) {
      if (!(a[c][c] > 1e-9 * diagonal[c])) {
        use[c] = false;
        dropped = true;
        break;
      }
      for (std::size_t r = 0; r < kMaxTerms; ++r) {
        if (r == c || a[r][c] == 0) continue;
        const double f = a[r][c] / a[c][c];
        for (std::size_t j = c; j <= kMaxTerms; ++j) a[r][j] -= f * a[c][j];
      }
    }
    if (dropped) continue;
    Row beta{};
    for (std::size_t i = 0; i < kMaxTerms; ++i) beta[i] = use[i] ? a[i][kMaxTerms] / a[i][i] : 0;
    std::size_t worst = kMaxTerms;
    for (std::size_t i = 0; i < kMaxTerms; ++i)
      if (use[i] && beta[i] < 0 && (worst == kMaxTerms || beta[i] < beta[worst])) worst = i;
    if (worst == kMaxTerms) return beta;
    use[worst] = false;
  }
}

double predicted(const Row& x, const Row& beta) { return beta[0] * x[0] + beta[1] * x[1] + beta[2] * x[2]; }

// The typical iteration: least absolute deviations (the conditional median), by iteratively
// reweighted least squares from the least-squares start. A preempted iteration then pulls the
// coefficients no more than any other; the spread goes to the jitter instead.
Row median_fit(const std::vector<Row>& x, const std::vector<double>& y) {
  std::vector<double> w(x.size(), 1.0);
  double scale = 0;
  for (const double v : y) scale += v / static_cast<double>(y.size());
  const double floor = std::max(scale, 1e-300) * 1e-6;  // caps the weight of an exact fit
  Row beta = non_negative_least_squares(x, y, w);
  for (int iteration = 0; iteration < 50; ++iteration) {
    for (std::size_t s = 0; s < x.size(); ++s) w[s] = 1.0 / std::max(std::fabs(y[s] - predicted(x[s], beta)), floor);
    beta = non_negative_least_squares(x, y, w);
  }
  return beta;
}

// Measured / fitted of each sample, in the samples' order; empty when the fit predicts no time
// for some sample (every coefficient dropped).
std::vector<double> fit_ratios(const std::vector<Row>& x, const std::vector<double>& y, const Row& beta) {
  std::vector<double> ratios;
  for (std::size_t s = 0; s < x.size(); ++s) {
    const double fitted = predicted(x[s], beta);
    if (!(fitted > 0)) return {};
    ratios.push_back(std::max(y[s], 1e-12 * fitted) / fitted);
  }
  return ratios;
}

}  // namespace

std::vector<double> spread_quantiles(std::vector<double> ratios) {
  if (ratios.empty()) return {};
  std::sort(ratios.begin(), ratios.end());
  const std::size_t n = std::min(kJitterQuantiles, ratios.size());
  std::vector<double> q(n);
  for (std::size_t k = 0; k < n; ++k)
    q[k] = ratios[static_cast<std::size_t>((static_cast<double>(k) + 0.5) / static_cast<double>(n) * static_cast<double>(ratios.size()))];
  return q;
}

namespace {

struct Residuals {
  double rms = 0, mean = 0;
};

Residuals residuals(const std::vector<Row>& x, const std::vector<double>& y, const Row& beta) {
  Residuals r;
  for (std::size_t s = 0; s < x.size(); ++s) {
    const double e = y[s] - predicted(x[s], beta);
    r.rms += e * e;
    r.mean += y[s];
  }
  r.rms = std::sqrt(r.rms / static_cast<double>(x.size()));
  r.mean /= static_cast<double>(x.size());
  return r;
}

void check_count(const char* what, std::size_t n) {
  if (n < kMinFitSamples)
    throw std::invalid_argument(std::string("too few ") + what + " iterations to fit: " + std::to_string(n) + ", at least " +
                                std::to_string(kMinFitSamples));
}

void check_value(const char* what, double v) {
  if (!std::isfinite(v) || v < 0) throw std::invalid_argument(std::string("a ") + what + " sample is negative or not finite");
}

// The ratios of each series, in the samples' (time) order; series numbered in the order they
// first appear.
std::vector<std::vector<double>> ratio_runs(const std::vector<double>& ratios, const std::vector<int>& series) {
  std::vector<std::vector<double>> runs;
  std::vector<std::pair<int, std::size_t>> index;  // series -> its place in runs
  for (std::size_t s = 0; s < ratios.size(); ++s) {
    auto it = std::find_if(index.begin(), index.end(), [&](const auto& e) { return e.first == series[s]; });
    if (it == index.end()) {
      index.emplace_back(series[s], runs.size());
      runs.emplace_back();
      it = index.end() - 1;
    }
    runs[it->second].push_back(ratios[s]);
  }
  return runs;
}

// One side's fit (prefill or decode): coefficients, residuals, the jitter quantiles and the
// jitter sequences.
struct SideFit {
  Row beta;
  Residuals residuals;
  std::vector<double> jitter;
  std::vector<std::vector<double>> jitter_runs;
};

SideFit fit_side(const std::vector<Row>& x, const std::vector<double>& y, const std::vector<int>& series) {
  const Row beta = median_fit(x, y);
  const auto ratios = fit_ratios(x, y, beta);
  return {beta, residuals(x, y, beta), spread_quantiles(ratios), ratio_runs(ratios, series)};
}

}  // namespace

KvTransferFit fit_kv_transfer(const std::vector<KvTransferSample>& transfers) {
  if (transfers.size() < kMinFitSamples)
    throw std::invalid_argument("too few KV transfers to fit: " + std::to_string(transfers.size()) + ", at least " +
                                std::to_string(kMinFitSamples));
  std::vector<Row> x;
  std::vector<double> y;
  for (const auto& t : transfers) {
    check_value("KV transfer", t.bytes), check_value("KV transfer", t.seconds);
    x.push_back({1.0, t.bytes, 0.0});  // the third regressor never varies: dropped
    y.push_back(t.seconds);
  }
  const Row beta = median_fit(x, y);
  if (!(beta[1] > 0)) {
    const auto [smallest, largest] =
        std::minmax_element(transfers.begin(), transfers.end(), [](const auto& a, const auto& b) { return a.bytes < b.bytes; });
    throw std::invalid_argument("the KV transfers' times do not grow with their size (" + std::to_string(smallest->bytes) + " to " +
                                std::to_string(largest->bytes) + " bytes): no bandwidth to fit");
  }
  const Residuals r = residuals(x, y, beta);
  return {beta[0], 1.0 / beta[1], transfers.size(), r.rms, r.mean};
}

CostFit fit_cost_model(const std::vector<PrefillSample>& prefill, const std::vector<DecodeSample>& decode, const CostModel& base) {
  check_count("prefill", prefill.size());
  check_count("decode", decode.size());
  CostFit fit;
  fit.model = base;
  fit.prefill_samples = prefill.size();
  fit.decode_samples = decode.size();

  std::vector<Row> x;
  std::vector<double> y;
  std::vector<int> series;
  for (const auto& s : prefill) {
    check_value("prefill", s.prompt_tokens), check_value("prefill", s.seconds), check_value("prefill", s.attention_pairs);
    x.push_back({1.0, s.prompt_tokens, s.attention_pairs});
    y.push_back(s.seconds);
    series.push_back(s.series);
  }
  SideFit p = fit_side(x, y, series);
  fit.model.prefill_fixed_s = p.beta[0];
  fit.model.prefill_s_per_token = p.beta[1];
  fit.model.prefill_s_per_attention_pair = p.beta[2];
  fit.prefill_rms_s = p.residuals.rms;
  fit.prefill_mean_s = p.residuals.mean;
  fit.model.prefill_jitter = std::move(p.jitter);
  fit.model.prefill_jitter_runs = std::move(p.jitter_runs);

  x.clear();
  y.clear();
  series.clear();
  for (const auto& s : decode) {
    check_value("decode", s.batch), check_value("decode", s.context_tokens), check_value("decode", s.seconds);
    x.push_back({1.0, s.batch, s.context_tokens});
    y.push_back(s.seconds);
    series.push_back(s.series);
  }
  SideFit d = fit_side(x, y, series);
  fit.model.decode_fixed_s = d.beta[0];
  fit.model.decode_s_per_seq = d.beta[1];
  fit.model.decode_s_per_context_token = d.beta[2];
  fit.decode_rms_s = d.residuals.rms;
  fit.decode_mean_s = d.residuals.mean;
  fit.model.decode_jitter = std::move(d.jitter);
  fit.model.decode_jitter_runs = std::move(d.jitter_runs);
  fit.model.jitter_block_steps = kJitterBlockSteps;
  return fit;
}

}  // namespace orrery::sim
