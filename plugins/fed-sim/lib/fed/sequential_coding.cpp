#include "fed/sequential_coding.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <stdexcept>

#include "fed/outages.hpp"

namespace orrery::fed {

SequentialSchedule plan_sequential_coding(const Simulation& sim, std::int64_t s, std::int64_t delay) {
  const Config& c = sim.cfg;
  const std::size_t n = sim.clients(), size = static_cast<std::size_t>(s) + 1;
  if (s < 0 || delay < 0 || n % size != 0)
    throw std::invalid_argument("sequential coding: groups of s + 1 clients must divide the clients");
  const std::size_t groups = n / size, jobs = static_cast<std::size_t>(c.rounds);
  const auto epochs = static_cast<double>(c.local_epochs);
  std::vector<double> group_samples(groups, 0.0);
  for (std::size_t k = 0; k < n; ++k) group_samples[k / size] += epochs * static_cast<double>(sim.partition.size(k));
  double idle_slot = 0;   // a slot in which everyone waits: the slowest client's share of a job
  for (std::size_t k = 0; k < n; ++k) idle_slot = std::max(idle_slot, client_seconds(sim, k, group_samples[k / size]));

  SequentialSchedule out;
  out.started.assign(jobs, -1);
  out.decoded.assign(jobs, -1);
  out.decoded_at_s.assign(jobs, 0.0);
  // owed[j][g]: group g has not yet delivered job j's task.
  std::vector<std::vector<bool>> owed;
  std::vector<std::size_t> owing(jobs, 0);   // groups job j still waits for
  std::size_t next = 0, done = 0, first_undecoded = 0;
  double now = 0, partitions = 0, working_client_slots = 0;
  for (std::int64_t slot = 1; done < jobs; ++slot) {
    const std::vector<bool> down = crashed_nodes(c.outage, n, static_cast<std::uint64_t>(c.seed), slot);
    while (first_undecoded < jobs && out.decoded[first_undecoded] >= 0) ++first_undecoded;
    // Job `next` may start once every job up to next - T - 1 is decoded (at most T + 1 in flight).
    if (next < jobs && next <= first_undecoded + static_cast<std::size_t>(delay)) {
      out.started[next] = slot;
      owed.emplace_back(groups, true);
      owing[next] = groups;
      ++next;
    } else if (next < jobs) {
      ++out.stall_slots;
    }
    double slot_s = 0;
    bool work = false;
    for (std::size_t g = 0; g < groups; ++g) {
      std::size_t tasks = 0, earlier = 0;
      for (std::size_t j = first_undecoded; j < next; ++j)
        if (owed[j][g]) {
          ++tasks;
          if (out.started[j] < slot) ++earlier;
        }
      if (tasks == 0) continue;
      double fastest = std::numeric_limits<double>::infinity();
      for (std::size_t k = g * size; k < (g + 1) * size; ++k) {
        if (down[k]) continue;
        // All its tasks' local work, one download and one upload (the coded sums travel together).
        fastest = std::min(fastest, client_seconds(sim, k, static_cast<double>(tasks) * group_samples[g]));
        partitions += static_cast<double>(tasks * size);
        working_client_slots += 1;
        out.max_load = std::max(out.max_load, static_cast<double>(tasks * size));
        out.reattempts += static_cast<std::int64_t>(earlier);
      }
      if (fastest == std::numeric_limits<double>::infinity()) continue;   // every member straggles
      work = true;
      slot_s = std::max(slot_s, fastest);
      for (std::size_t j = first_undecoded; j < next; ++j)
        if (owed[j][g]) {
          owed[j][g] = false;
          --owing[j];
        }
    }
    now += work ? slot_s : idle_slot;
    out.slot_seconds.push_back(work ? slot_s : idle_slot);
    for (std::size_t j = first_undecoded; j < next; ++j)
      if (out.decoded[j] < 0 && owing[j] == 0) {
        out.decoded[j] = slot;
        out.decoded_at_s[j] = now;
        if (slot - out.started[j] > delay) ++out.late_jobs;
        ++done;
      }
  }
  out.mean_load = working_client_slots > 0 ? partitions / working_client_slots : 0.0;
  return out;
}

}  // namespace orrery::fed
