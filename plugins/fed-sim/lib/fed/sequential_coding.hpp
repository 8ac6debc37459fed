// Sequential gradient coding (after Krishnan, Hosseini and Khisti, "Sequential Gradient
// Coding for Straggler Mitigation", ICLR 2023): the job of round t (FedAvg's weighted sum of
// every client's update at the round's model) may be finished in rounds t..t+T, so a
// straggler's task need not be masked by (s + 1)x redundant work in the round itself.
//
// The scheme here is a selective-reattempt code in the spirit of the paper's SR-SGC, built on
// the per-round fractional repetition code of round_plan.hpp (s = gradient_coding >= 0,
// T = sgc_delay >= 1):
//   - time is divided into slots; slot u starts job u (a FedAvg round) when every job up to
//     u - T - 1 is decoded: up to T + 1 jobs are in flight, the paper's setting of jobs that
//     are needed T slots after they start (for example T + 1 models trained round-robin).
//     Each job is computed at its own round's model, so the decoded sums - and the model -
//     are FedAvg's, bit for bit;
//   - the clients form groups of s + 1 (s = 0: every client alone); in a slot every member of
//     a group that is up computes the group's coded task (s + 1 partitions) of the new job
//     and re-attempts the task of each earlier job its group still owes - only the missed
//     tasks, selectively, never a whole round again;
//   - a client that is down in a slot (the crash model of outages.hpp: a burst of
//     crash_rounds slots) is a straggler: it returns nothing that slot;
//   - a job is decoded when every group has had a member up in one of its slots.
// Straggler model tolerated: every group has a member up in at least one slot of every
// window t..t+T (s = 0: no client straggles for more than T slots in a row; s > 0: not all
// s + 1 members of a group at once for more than T slots). Then every job is decoded within T
// slots of its start and no slot waits. Outside the model the server falls back to waiting:
// no new job starts until the late one is decoded (`stall_slots`, `late_jobs` count it).
// With T = 0 the same planner gives the exact per-round schemes that wait for stragglers:
// uncoded FedAvg (s = 0) and per-round gradient coding (s > 0).
//
// Virtual time: a group's members that are up all carry the same load (the group's owed
// tasks); the slot's decoding waits for the fastest up member of every group with work, each
// charged its whole load (local work of all its tasks, one download and one upload). A slot
// in which no up client has work (everyone waits on stragglers) lasts as long as the slowest
// client's share of a job would.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "fed/simulation.hpp"

namespace orrery::fed {

struct SequentialSchedule {
  std::vector<std::int64_t> started;    // per job (round - 1): the slot it started in
  std::vector<std::int64_t> decoded;    // per job: the slot at the end of which its sum was decodable
  std::vector<double> decoded_at_s;     // per job: virtual time at that slot's end
  std::vector<double> slot_seconds;     // per slot
  std::int64_t stall_slots = 0;         // slots that could not start a job (fallback: waiting)
  std::int64_t late_jobs = 0;           // jobs decoded more than T slots after their start
  std::int64_t reattempts = 0;          // (client, earlier job) tasks computed again
  double mean_load = 0;                 // partitions computed per client and slot in which it computes
  double max_load = 0;                  // the most partitions an up client computed in one slot
  double total_seconds() const { return decoded_at_s.empty() ? 0.0 : *std::max_element(decoded_at_s.begin(), decoded_at_s.end()); }
};

// Plans cfg.rounds jobs with groups of s + 1 clients and delay T, slot u's stragglers drawn
// from the crash model at round u. Depends on (seed, clients, profiles) only: every rank
// computes the same schedule.
SequentialSchedule plan_sequential_coding(const Simulation& sim, std::int64_t s, std::int64_t delay);

}  // namespace orrery::fed
