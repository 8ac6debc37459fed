#include "sim/rate_search.hpp"

#include <stdexcept>

namespace orrery::sim {

RateSearchResult max_rate_at_attainment(const ClusterOptions& cluster, const serve::WorkloadOptions& workload, const serve::Slo& slo,
                                        double target, double precision) {
  if (!workload.trace.empty()) throw std::invalid_argument("--trace: a trace's arrivals are fixed, no rate to search");
  if (!(target > 0 && target <= 1)) throw std::invalid_argument("--attainment_target: must be in (0, 1]");
  if (!(precision > 0 && precision < 1)) throw std::invalid_argument("rate search precision must be in (0, 1)");
  RateSearchResult r;
  auto attainment = [&](double rate) {
    serve::WorkloadOptions w = workload;
    w.rate = rate;
    const auto requests = serve::workload_entries(w);
    ++r.simulations;
    if (requests.empty()) return 1.0;  // nothing to miss
    return serve::summarize(simulate(cluster, requests).timings, slo).slo_attainment;
  };
  constexpr int kMostSteps = 60;  // 2^60 either way: past any rate a cluster serves or misses
  double lo = 0, lo_att = 1, hi = workload.rate, hi_att = attainment(hi);
  for (int i = 0; hi_att >= target; ++i) {  // the workload's rate attains: double until it does not
    if (i == kMostSteps) throw std::invalid_argument("the target is attained at every rate tried (SLOs too loose to bound it)");
    lo = hi, lo_att = hi_att;
    hi *= 2, hi_att = attainment(hi);
  }
  if (lo == 0)  // the workload's rate misses: halve until one attains
    for (double rate = hi / 2; rate > hi * 1e-18; rate /= 2) {
      const double a = attainment(rate);
      if (a >= target) {
        lo = rate, lo_att = a;
        break;
      }
      hi = rate, hi_att = a;
    }
  while (lo > 0 && hi - lo > precision * lo) {
    const double mid = 0.5 * (lo + hi), a = attainment(mid);
    if (a >= target)
      lo = mid, lo_att = a;
    else
      hi = mid, hi_att = a;
  }
  r.max_rate = lo;
  r.max_rate_per_gpu = lo / cluster.gpus();
  r.attainment = lo > 0 ? lo_att : 0;
  r.failing_rate = hi;
  r.failing_attainment = hi_att;
  return r;
}

}  // namespace orrery::sim
