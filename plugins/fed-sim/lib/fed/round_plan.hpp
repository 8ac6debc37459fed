// Who a synchronous round's aggregation hears from, and how long the round lasts, when
// clients crash and when stragglers are masked by gradient coding.
//
// Crashes (cfg.outage.crash_prob, crash_rounds; the same draws as a decentralized run's,
// outages.hpp): a sampled client that is down this round crashes in the middle of it - it
// fetched the model but its update never arrives. The server learns of the crash when the
// connection drops, so it does not wait for it: the round ends with the last live
// participant, and the mean is taken over the updates that arrived. A crashed client rejoins
// crash_rounds rounds later; clients keep no state between rounds, so it simply trains from
// the global model of the round it is next sampled in.
//
// Gradient coding (cfg.gradient_coding = s > 0), the fractional repetition code of Tandon et
// al. (ICML 2017), applied round after round to FedAvg's weighted sum of updates:
//   - the clients are split into n / (s + 1) coding groups of s + 1 consecutive ids; each
//     member holds the data of its whole group and trains every partition of the group from
//     the global model with that partition's own seed, so all members compute the same
//     partition updates;
//   - each member sends the coded message sum_{j in group} (n_j / n) update_j;
//   - the server decodes the round's sum as soon as one message per group has arrived (the
//     sum of one message per group), so a round waits for the fastest live member of the
//     slowest group instead of the slowest client: any s stragglers (or crashed clients)
//     per group are masked, at the price of (s + 1) x the local work.
//   A group all of whose members crashed is dropped from the round (its partitions are then
//   missing from the mean, which is taken over the decoded groups' samples).
//   With sgc_delay T > 0 (sequential gradient coding, sequential_coding.hpp) every round is
//   decoded whole, possibly up to T slots late: the plan aggregates every client and the
//   worker takes the round's time from the sequential schedule.
//
// MoDeST-style decentralized sampling (algorithm modest; after de Vos et al., "MoDeST:
// Bridging the Gap between Federated and Decentralized Learning with Decentralized
// Sampling", 2023): there is no server. Each round r draws, from (seed, r) alone so every
// node can compute it, a sample of round(client_fraction x clients) trainers and of
// `aggregators` aggregators. Each trainer fetches the model from one aggregator of round
// r - 1 (trainer i from aggregator i mod a), trains, and sends its update to every
// aggregator of round r; each live aggregator averages what it received (all compute the
// same model) and holds it for round r + 1's trainers. A round thus moves s downloads and
// s x a uploads of one model each, whatever the number of clients, and survives the crash
// of all aggregators but one. (The simulation does one aggregation for the a identical
// ones; a round whose aggregators are all down makes no progress.)
//
// Every draw depends on (seed, round, client) only, so every rank plans the same round.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "fed/simulation.hpp"

namespace orrery::fed {

struct RoundPlan {
  std::vector<std::size_t> trained;   // clients whose partitions' updates are aggregated, ascending
  std::size_t crashed = 0;            // sampled clients that crashed mid-round
  std::size_t downloads = 0;          // models sent to the sampled clients
  std::size_t uploads = 0;            // update messages sent (coded: every live member; modest: to each aggregator)
  std::vector<std::size_t> aggregators;   // modest: this round's aggregators, ascending
  double seconds = -1;                // the round's virtual duration (coding, modest); < 0: the slowest trained client's
};

RoundPlan plan_round(const Simulation& sim, std::span<const std::size_t> sample, std::int64_t round);

// The clients of client k's coding group (s + 1 consecutive ids).
std::pair<std::size_t, std::size_t> coding_group(std::size_t client, std::size_t s);

}  // namespace orrery::fed
