#include "fed/round_plan.hpp"

#include <algorithm>
#include <limits>

#include "fed/client_profile.hpp"
#include "fed/outages.hpp"
#include "fed/sampling.hpp"

namespace orrery::fed {

std::pair<std::size_t, std::size_t> coding_group(std::size_t client, std::size_t s) {
  const std::size_t first = client / (s + 1) * (s + 1);
  return {first, first + s + 1};
}

namespace {

void plan_modest(const Simulation& sim, std::int64_t round, const std::vector<bool>& down, RoundPlan& plan) {
  const Config& c = sim.cfg;
  const auto a = static_cast<std::size_t>(c.aggregators);
  plan.aggregators = sample_clients(sim.clients(), a, static_cast<std::uint64_t>(c.seed), round, Stream::aggregators);
  const auto live_aggregators = static_cast<std::size_t>(
      std::count_if(plan.aggregators.begin(), plan.aggregators.end(), [&](std::size_t k) { return !down[k]; }));
  plan.uploads = plan.trained.size() * a;
  if (live_aggregators == 0) plan.trained.clear();   // nobody aggregates this round
  // A trainer's round: fetch, train, and send its update to each of the a aggregators (the
  // first upload is in client_seconds); then the slowest live aggregator takes in s updates.
  const double update_bytes = sim.model_bytes();
  double trainers = 0, aggregation = 0;
  for (std::size_t k : plan.trained) {
    const ClientProfile p = client_profile(sim.profiles, static_cast<std::uint64_t>(c.seed), k);
    const double samples = static_cast<double>(c.local_epochs) * static_cast<double>(sim.partition.size(k));
    trainers = std::max(trainers, client_seconds(sim, k, samples) +
                                      static_cast<double>(a - 1) * (p.latency + update_bytes / p.bandwidth));
  }
  for (std::size_t k : plan.aggregators) {
    if (down[k]) continue;
    const ClientProfile p = client_profile(sim.profiles, static_cast<std::uint64_t>(c.seed), k);
    aggregation = std::max(aggregation, static_cast<double>(plan.trained.size()) * update_bytes / p.bandwidth);
  }
  plan.seconds = trainers + aggregation;
}

}  // namespace

RoundPlan plan_round(const Simulation& sim, std::span<const std::size_t> sample, std::int64_t round) {
  const Config& c = sim.cfg;
  RoundPlan plan;
  plan.downloads = sample.size();
  if (c.sgc_delay > 0) {
    // Sequential coding decodes every round whole, at most T slots late (or later, waiting): every
    // partition is aggregated; who straggled when, and the time, are in sequential_coding.hpp's schedule.
    plan.trained.assign(sample.begin(), sample.end());
    plan.uploads = sample.size();
    return plan;
  }
  const std::vector<bool> down = crashed_nodes(c.outage, sim.clients(), static_cast<std::uint64_t>(c.seed), round);
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
    if (c.algorithm == Algorithm::modest) plan_modest(sim, round, down, plan);
    return plan;
  }
  // Coded: the sample is every client (validate), in groups of s + 1.
  plan.seconds = 0;
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
    plan.seconds = std::max(plan.seconds, fastest);
  }
  return plan;
}

}  // namespace orrery::fed
