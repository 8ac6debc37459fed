// Which clients take part in a round, and which rank hosts which client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fed/rng.hpp"

namespace orrery::fed {

// per_round distinct client ids out of clients, ascending; a function of
// (seed, round) only, so every rank computes the same sample without a message.
// per_round >= clients gives every client.
// purpose tells independent samples of one round apart (MoDeST's trainers and aggregators).
std::vector<std::size_t> sample_clients(std::size_t clients, std::size_t per_round, std::uint64_t seed,
                                        std::int64_t round, Stream purpose = Stream::sample);

// Clients are dealt to ranks in contiguous blocks: rank r hosts [first(r), first(r + 1)).
// Contiguous blocks make "rank order" and "client-id order" the same, so gathering
// the ranks' updates in rank order lists them in client order.
struct RankBlocks {
  std::size_t clients = 0;
  int ranks = 1;

  std::size_t first(int rank) const {
    // clients <= 10^6 and ranks <= 4096 (kind.json): the product fits 64 bits.
    return static_cast<std::size_t>(static_cast<std::uint64_t>(clients) * static_cast<std::uint64_t>(rank) /
                                    static_cast<std::uint64_t>(ranks));
  }
  int owner(std::size_t client) const;
};

}  // namespace orrery::fed
