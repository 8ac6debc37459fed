#include "compare/metric_summary.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <optional>
#include <string_view>

namespace orrery::compare {

MetricCurve mean_over_ranks(const std::vector<runfiles::SeriesData>& ranks) {
  MetricCurve curve;
  if (ranks.size() == 1) {   // the common case needs no merge
    curve.steps = ranks.front().steps;
    curve.values = ranks.front().values;
    return curve;
  }
  // K-way merge by step: each rank's cursor advances past the steps it has taken part in.
  std::vector<std::size_t> cursor(ranks.size(), 0);
  while (true) {
    std::optional<std::int64_t> next;
    for (std::size_t r = 0; r < ranks.size(); ++r)
      if (cursor[r] < ranks[r].steps.size() && (!next || ranks[r].steps[cursor[r]] < *next)) next = ranks[r].steps[cursor[r]];
    if (!next) break;
    double sum = 0;
    int count = 0;
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      // A rank that logged one step twice (a resumed run) counts each of its points.
      while (cursor[r] < ranks[r].steps.size() && ranks[r].steps[cursor[r]] == *next) {
        sum += ranks[r].values[cursor[r]++];
        ++count;
      }
    }
    curve.steps.push_back(*next);
    curve.values.push_back(sum / count);
  }
  return curve;
}

bool lower_is_better(const std::string& metric) {
  std::string name = metric;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 11> kLowerWords = {
      "loss", "error", "err", "latency", "perplexity", "ppl", "mse", "mae", "regret", "_ms", "_us"};
  return std::any_of(kLowerWords.begin(), kLowerWords.end(), [&](std::string_view w) { return name.find(w) != std::string::npos; });
}

bool lower_is_better(const std::string& metric, BestRule rule) {
  switch (rule) {
    case BestRule::Lower: return true;
    case BestRule::Higher: return false;
    case BestRule::ByName: break;
  }
  return lower_is_better(metric);
}

std::optional<double> summarize(const MetricCurve& curve, const std::string& metric, const SummaryChoice& choice) {
  if (curve.steps.empty()) return std::nullopt;
  switch (choice.kind) {
    case SummaryKind::Final:
      return curve.values.back();
    case SummaryKind::Best: {
      const bool lower = lower_is_better(metric, choice.best);
      std::optional<double> best;
      for (double v : curve.values) {
        if (std::isnan(v)) continue;
        if (!best || (lower ? v < *best : v > *best)) best = v;
      }
      return best ? *best : std::nan("");
    }
    case SummaryKind::AtStep: {
      const auto after = std::upper_bound(curve.steps.begin(), curve.steps.end(), choice.step);
      if (after == curve.steps.begin()) return std::nullopt;
      return curve.values[static_cast<std::size_t>(after - curve.steps.begin()) - 1];
    }
  }
  return std::nullopt;
}

}  // namespace orrery::compare
