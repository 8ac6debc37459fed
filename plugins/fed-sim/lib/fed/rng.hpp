// Seeded random numbers for fed-sim, reproducible by construction.
//
// Every random choice of a run (split, partition, model init, which clients a
// round samples, each client's batches, speeds and attacks) draws from its own
// stream, derived from (seed, purpose, ids) by hashing. A client's stream
// depends on the client and the round only, never on which MPI rank hosts it,
// so a run on 1, 2 or 4 ranks makes exactly the same draws.
//
// The engine is std::mt19937_64, whose output the standard fixes. The
// distributions are written here because the standard library's (normal,
// gamma, uniform_int) are allowed to differ between implementations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <utility>

namespace orrery::fed {

// What a stream is for; part of its derived seed so two purposes never share draws.
enum class Stream : std::uint64_t {
  split = 1,       // train/test split
  partition = 2,   // client data partitions
  init = 3,        // global model initialisation
  sample = 4,      // clients sampled in a round (id: round)
  train = 5,       // a client's local training and its attack noise (ids: client, round)
  profile = 6,     // a client's compute speed and link (id: client)
  byzantine = 7,   // which clients are Byzantine
  topology = 8,    // random decentralized topologies
  failure = 9,     // node crashes and link failures (ids: node or link, round)
  aggregators = 10,   // modest: a round's aggregators (id: round)
  flight_failure = 11,   // asynchronous runs: whether a dispatch crashes, and when (id: dispatch number)
};

// SplitMix64's finaliser: a bijection that spreads every input bit over the output.
std::uint64_t mix64(std::uint64_t x);

// The seed of stream `purpose` for ids a and b under the run's seed.
std::uint64_t derive_seed(std::uint64_t seed, Stream purpose, std::uint64_t a = 0, std::uint64_t b = 0);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  Rng(std::uint64_t seed, Stream purpose, std::uint64_t a = 0, std::uint64_t b = 0)
      : engine_(derive_seed(seed, purpose, a, b)) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0, without modulo bias.
  std::uint64_t below(std::uint64_t n);
  // Standard normal (Box-Muller; one value per call, no cached second value, so
  // a stream's draws do not depend on how calls interleave).
  double normal();
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Exponential with the given mean.
  double exponential(double mean);
  // Gamma(shape, 1), shape > 0 (Marsaglia and Tsang, 2000).
  double gamma(double shape);

  // Fisher-Yates shuffle.
  template <class T>
  void shuffle(std::span<T> v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace orrery::fed
