// Per-request latencies and the run's aggregates: TTFT (arrival to first token), TPOT (time
// per output token after the first), end-to-end latency, throughput, SLO attainment (both
// the TTFT and the TPOT SLO met) and goodput: requests per second that met both SLOs, over
// the run's span (first arrival at 0 to the last token), as DistServe counts it.
#pragma once

#include <span>

namespace orrery::serve {

struct RequestTiming {
  double arrival_s = 0, first_token_s = 0, finish_s = 0;  // seconds after the workload's start
  int output_tokens = 0;
};

double ttft(const RequestTiming& r);
double tpot(const RequestTiming& r);  // 0 for a request of one output token
double e2e_latency(const RequestTiming& r);

struct Slo {
  double ttft_s = 1.0, tpot_s = 0.1;
};
// Throws std::invalid_argument when an SLO is not positive.
void validate(const Slo& slo);
bool meets(const RequestTiming& r, const Slo& slo);

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, mean = 0;
};
// Nearest-rank percentiles.
Percentiles percentiles(std::span<const double> values);

struct ServeSummary {
  int requests = 0, met_slo = 0;
  long output_tokens = 0;
  double span_s = 0;  // last finish (the workload starts at 0)
  double requests_per_s = 0, tokens_per_s = 0, slo_attainment = 0, goodput_rps = 0;
  Percentiles ttft, tpot, e2e;
};
ServeSummary summarize(std::span<const RequestTiming> requests, const Slo& slo);

}  // namespace orrery::serve
