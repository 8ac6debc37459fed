#include "fed/round_plan.hpp"

#include <algorithm>
#include <limits>

#include "fed/outages.hpp"

namespace orrery::fed {

std::pair<std::size_t, std::size_t> coding_group(std::size_t client, std::size_t s) {
  const std::size_t first = client / (s + 1) * (s + 1);
  return {first, first + s + 1};
}

RoundPlan plan_round(const Simulation& sim, std::span<const std::size_t> sample, std::int64_t round) {
  const Config& c = sim.cfg;
  const std::vector<bool> down = crashed_nodes(c.outage, sim.clients(), static_cast<std::uint64_t>(c.seed), round);
  RoundPlan plan;
  const auto s = static_cast<std::size_t>(c.gradient_coding);
  if (s == 0) {
    for (std::size_t k : sample) {
      if (down[k]) {
        ++plan.crashed;
      } else {
        plan.trained.push_back(k);
      }
    }
    plan.uploads = plan.trained.size();
    return plan;
  }
  // Coded: the sample is every client (validate), in groups of s + 1.
  plan.coded_seconds = 0;
  for (std::size_t first = 0; first < sim.clients(); first += s + 1) {
    const std::size_t end = first + s + 1;
    double group_samples = 0;
    for (std::size_t j = first; j < end; ++j) group_samples += static_cast<double>(sim.partition.size(j));
    const double work = static_cast<double>(c.local_epochs) * group_samples;
    double fastest = std::numeric_limits<double>::infinity();
    for (std::size_t k = first; k < end; ++k) {
      if (down[k]) {
        ++plan.crashed;
        continue;
      }
      ++plan.uploads;
      fastest = std::min(fastest, client_seconds(sim, k, work));
    }
    if (fastest == std::numeric_limits<double>::infinity()) continue;   // the whole group is down
    for (std::size_t j = first; j < end; ++j) plan.trained.push_back(j);
    plan.coded_seconds = std::max(plan.coded_seconds, fastest);
  }
  return plan;
}

}  // namespace orrery::fed
