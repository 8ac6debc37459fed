#include "serve/serve_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace orrery::serve {

double ttft(const RequestTiming& r) { return r.first_token_s - r.arrival_s; }
double tpot(const RequestTiming& r) {
  return r.output_tokens > 1 ? (r.finish_s - r.first_token_s) / (r.output_tokens - 1) : 0.0;
}
double e2e_latency(const RequestTiming& r) { return r.finish_s - r.arrival_s; }

void validate(const Slo& slo) {
  if (!(slo.ttft_s > 0) || !std::isfinite(slo.ttft_s)) throw std::invalid_argument("--slo_ttft_ms: must be greater than 0");
  if (!(slo.tpot_s > 0) || !std::isfinite(slo.tpot_s)) throw std::invalid_argument("--slo_tpot_ms: must be greater than 0");
}

bool meets(const RequestTiming& r, const Slo& slo) { return ttft(r) <= slo.ttft_s && tpot(r) <= slo.tpot_s; }

Percentiles percentiles(std::span<const double> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) { return v[static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size())))) - 1]; };
  p.p50 = rank(0.5);
  p.p90 = rank(0.9);
  p.p99 = rank(0.99);
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return p;
}

ServeSummary summarize(std::span<const RequestTiming> requests, const Slo& slo) {
  ServeSummary s;
  s.requests = static_cast<int>(requests.size());
  std::vector<double> a, b, c;
  for (const auto& r : requests) {
    s.output_tokens += r.output_tokens;
    s.span_s = std::max(s.span_s, r.finish_s);
    if (meets(r, slo)) ++s.met_slo;
    a.push_back(ttft(r));
    if (r.output_tokens > 1) b.push_back(tpot(r));
    c.push_back(e2e_latency(r));
  }
  s.ttft = percentiles(a);
  s.tpot = percentiles(b);
  s.e2e = percentiles(c);
  if (s.requests > 0) s.slo_attainment = static_cast<double>(s.met_slo) / s.requests;
  if (s.span_s > 0) {
    s.requests_per_s = s.requests / s.span_s;
    s.tokens_per_s = static_cast<double>(s.output_tokens) / s.span_s;
    s.goodput_rps = s.met_slo / s.span_s;
  }
  return s;
}

}  // namespace orrery::serve
