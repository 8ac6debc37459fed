#include "fed/compass_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace orrery::fed {

CompassScheduler::CompassScheduler(const CompassParams& p, std::size_t clients)
    : q_max_(p.q_max),
      q_min_(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(p.q_min_ratio * static_cast<double>(p.q_max))))),
      latest_factor_(p.latest_factor),
      momentum_(p.momentum),
      step_time_(clients, 0.0),
      group_of_(clients, -1) {}

std::int64_t CompassScheduler::arrive(std::size_t client, double start, double now, std::int64_t steps) {
  const double measured = (now - start) / static_cast<double>(steps);
  step_time_[client] = step_time_[client] == 0 ? measured : (1 - momentum_) * step_time_[client] + momentum_ * measured;
  const std::int64_t g = group_of_[client];
  group_of_[client] = -1;
  const auto it = groups_.find(g);
  if (it == groups_.end()) return kUngrouped;
  Group& group = it->second;
  group.waiting.erase(client);
  if (!group.open || now >= group.latest) {
    if (!group.open && group.waiting.empty()) groups_.erase(it);
    return kLate;
  }
  group.arrived.push_back(client);
  return g;
}

std::int64_t CompassScheduler::drop(std::size_t client) {
  const std::int64_t g = group_of_[client];
  group_of_[client] = -1;
  const auto it = groups_.find(g);
  if (it == groups_.end()) return -1;
  it->second.waiting.erase(client);
  if (!it->second.open) {
    if (it->second.waiting.empty()) groups_.erase(it);
    return -1;
  }
  return g;
}

bool CompassScheduler::complete(std::int64_t g) const {
  const auto it = groups_.find(g);
  return it != groups_.end() && it->second.waiting.empty();
}

bool CompassScheduler::open(std::int64_t g) const {
  const auto it = groups_.find(g);
  return it != groups_.end() && it->second.open;
}

std::vector<std::size_t> CompassScheduler::close(std::int64_t g) {
  auto it = groups_.find(g);
  if (it == groups_.end()) return {};
  std::vector<std::size_t> arrived = std::move(it->second.arrived);
  it->second.arrived.clear();
  it->second.open = false;
  // Fastest first: they choose their next group before the slower ones.
  std::stable_sort(arrived.begin(), arrived.end(),
                   [&](std::size_t a, std::size_t b) { return step_time_[a] < step_time_[b]; });
  if (it->second.waiting.empty()) groups_.erase(it);
  return arrived;
}

std::int64_t CompassScheduler::found(std::size_t client, double now, std::int64_t steps) {
  const std::int64_t g = next_group_++;
  Group& group = groups_[g];
  group.waiting.insert(client);
  const double span = static_cast<double>(steps) * step_time_[client];
  group.expected = now + span;
  group.latest = now + span * latest_factor_;
  group_of_[client] = g;
  new_deadlines_.emplace_back(group.latest, g);
  return steps;
}

std::int64_t CompassScheduler::assign(std::size_t client, double now) {
  const double t = step_time_[client];
  if (t <= 0) return q_max_;   // not measured yet: a first flight of Q_max steps, in no group
  // Join: the open group that leaves this client the most steps within [Q_min, Q_max].
  std::int64_t best_group = -1, best_steps = -1;
  for (auto& [g, group] : groups_) {
    if (!group.open) continue;
    const auto steps = static_cast<std::int64_t>(std::floor((group.expected - now) / t));
    if (steps < q_min_ || steps > q_max_ || steps < best_steps) continue;
    best_group = g;
    best_steps = steps;
  }
  if (best_group >= 0) {
    groups_[best_group].waiting.insert(client);
    group_of_[client] = best_group;
    return best_steps;
  }
  // Found a new group, timed to arrive when the fastest member of an existing group
  // could be back from a full Q_max after that group ends, so groups stay spread out.
  std::int64_t steps = -1;
  for (const auto& [g, group] : groups_) {
    if (!group.open || now >= group.latest) continue;
    double fastest = std::numeric_limits<double>::infinity();
    for (std::size_t c : group.waiting) fastest = std::min(fastest, step_time_[c]);
    for (std::size_t c : group.arrived) fastest = std::min(fastest, step_time_[c]);
    const double eta = group.latest + fastest * static_cast<double>(q_max_);
    const auto q = static_cast<std::int64_t>(std::floor((eta - now) / t));
    if (q <= q_max_) steps = std::max(steps, q);
  }
  if (steps < 0) steps = q_max_;
  steps = std::max(steps, q_min_);
  return found(client, now, steps);
}

std::vector<std::pair<double, std::int64_t>> CompassScheduler::take_new_deadlines() {
  std::vector<std::pair<double, std::int64_t>> out;
  out.swap(new_deadlines_);
  return out;
}

}  // namespace orrery::fed
