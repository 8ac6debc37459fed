// A small counter-based random source whose numbers are the same on every platform and
// library version (std::normal_distribution is not): weights, data order and sampling
// are functions of (seed, counter), so a resumed or re-sharded run draws the same numbers.
#pragma once

#include <cmath>
#include <cstdint>

namespace orrery::gpt {

// SplitMix64's finalizer: a well-mixed 64-bit value of x.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t counter = 0) : seed_(seed), counter_(counter) {}
  std::uint64_t next() { return mix64(seed_ ^ mix64(counter_++)); }
  // Uniform in [0, 1) with 24 bits, as a float holds them.
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
  // Standard normal (Box-Muller over two draws).
  float normal() {
    const double u1 = (static_cast<double>(next() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    const double u2 = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  std::uint64_t seed() const { return seed_; }
  std::uint64_t counter() const { return counter_; }

 private:
  std::uint64_t seed_, counter_;
};

}  // namespace orrery::gpt
