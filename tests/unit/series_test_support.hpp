// Series data for the decimation tests: step, time and value columns with what real
// metrics have (repeated steps, irregular gaps, one-point spikes, NaN and inf).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace orrery::series::testing {

struct Data {
  std::vector<std::int64_t> steps;  // non-decreasing, with repeats
  std::vector<double> times;        // strictly increasing, irregular gaps
  std::vector<double> values;       // random walk + rare huge spikes + rare NaN/inf
};

inline Data spiky_data(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> noise(0, 1);
  Data d;
  std::int64_t step = static_cast<std::int64_t>(rng() % 100);
  double time = 1.7e9 + unit(rng);
  double walk = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (unit(rng) > 0.1) step += 1 + static_cast<std::int64_t>(rng() % 3);  // ~10% repeats
    time += unit(rng) < 0.01 ? 50 * unit(rng) : 0.001 + unit(rng);
    walk += noise(rng);
    double v = walk;
    const double r = unit(rng);
    if (r < 0.002) v = walk + 1e6 * (unit(rng) - 0.5);  // a spike one point wide
    else if (r < 0.003) v = std::numeric_limits<double>::quiet_NaN();
    else if (r < 0.0035) v = std::numeric_limits<double>::infinity();
    d.steps.push_back(step);
    d.times.push_back(time);
    d.values.push_back(v);
  }
  return d;
}

}  // namespace orrery::series::testing
