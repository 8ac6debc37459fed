// Filling a SeriesStore for the chart tests, as the run data service does: appends.
#pragma once

#include "series/series_store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace orrery::test {

// Appends steps [first, first + n) of one rank's series; time = 1.7e9 + step / 10,
// value = value_of(step).
inline void append_points(series::SeriesStore& store, const std::string& run, const std::string& name, int rank,
                          std::int64_t first, std::int64_t n, const std::function<double(std::int64_t)>& value_of) {
  std::vector<std::int64_t> steps;
  std::vector<double> times, values;
  for (std::int64_t s = first; s < first + n; ++s) {
    steps.push_back(s);
    times.push_back(1.7e9 + static_cast<double>(s) / 10);
    values.push_back(value_of(s));
  }
  store.get_or_create({run, "metrics", name, rank})->append(steps, times, values);
}

}  // namespace orrery::test
