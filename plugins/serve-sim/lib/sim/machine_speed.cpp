#include "sim/machine_speed.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace orrery::sim {

namespace {

bool positive_time(double s) { return std::isfinite(s) && s > 0; }

void check_scale(double scale, const char* what) {
  if (!std::isfinite(scale) || scale < 0.01 || scale > 100)
    throw std::invalid_argument(std::string(what) + " must be from 0.01 to 100, got " + std::to_string(scale));
}

}  // namespace

double probe_speed(const SpeedProbes& probes) { return machine_speed(probes).slowness(); }

MachineSpeed machine_speed(const SpeedProbes& probes) {
  std::vector<double> v = probes.probe_s;
  if (v.empty()) throw std::invalid_argument("no speed probes to measure the machine's speed by");
  for (const double s : v)
    if (!positive_time(s)) throw std::invalid_argument("a speed probe time that is not a positive number: " + std::to_string(s));
  if (!(std::isfinite(probes.running_s) && probes.running_s >= 0 && std::isfinite(probes.waiting_s) && probes.waiting_s >= 0))
    throw std::invalid_argument("CPU time running and waiting must be finite and not negative");
  if (probes.running_s == 0 && probes.waiting_s > 0) throw std::invalid_argument("CPU time waiting without any running");
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double median = v.size() % 2 == 1 ? *mid : 0.5 * (*mid + *std::max_element(v.begin(), mid));
  const double contention = probes.running_s > 0 ? (probes.running_s + probes.waiting_s) / probes.running_s : 1.0;
  return {median, contention};
}

double speed_scale(double run_probe_s, double fitted_probe_s) {
  if (!positive_time(run_probe_s) || !positive_time(fitted_probe_s))
    throw std::invalid_argument("speed probe times must be positive numbers, got " + std::to_string(run_probe_s) + " and " +
                                std::to_string(fitted_probe_s));
  return run_probe_s / fitted_probe_s;
}

CostModel at_speed(const CostModel& model, double scale) {
  check_scale(scale, "speed scale");
  CostModel m = model;
  for (double* cost : {&m.prefill_fixed_s, &m.prefill_s_per_token, &m.prefill_s_per_attention_pair, &m.decode_fixed_s,
                       &m.decode_s_per_seq, &m.decode_s_per_context_token})
    *cost *= scale;
  return m;
}

namespace {

// The factors' excess over 1 stretched so that their mean grows by ratio.
void stretch_excess(std::vector<std::vector<double>*> factor_sets, double ratio) {
  double sum = 0, excess = 0;
  std::size_t n = 0;
  for (const auto* set : factor_sets)
    for (const double f : *set) sum += f, excess += std::max(f - 1.0, 0.0), ++n;
  if (n == 0 || excess <= 0) return;
  const double k = std::clamp(1.0 + (ratio - 1.0) * sum / excess, 0.0, 50.0);
  for (auto* set : factor_sets)
    for (double& f : *set)
      if (f > 1) f = 1 + k * (f - 1);
}

}  // namespace

CostModel with_contention(const CostModel& model, double ratio) {
  check_scale(ratio, "contention ratio");
  CostModel m = model;
  // The quantiles and the sequences are two views of the same measured factors: each is
  // stretched by its own k (their means differ slightly).
  stretch_excess({&m.prefill_jitter}, ratio);
  stretch_excess({&m.decode_jitter}, ratio);
  std::vector<std::vector<double>*> prefill_runs, decode_runs;
  for (auto& run : m.prefill_jitter_runs) prefill_runs.push_back(&run);
  for (auto& run : m.decode_jitter_runs) decode_runs.push_back(&run);
  stretch_excess(prefill_runs, ratio);
  stretch_excess(decode_runs, ratio);
  return m;
}

}  // namespace orrery::sim
