// Exact sums of weighted updates, for aggregation in a tree over the ranks.
//
// Floating-point addition is not associative: summing the same updates grouped
// per rank and then across ranks gives other bits than summing them one by one,
// so a tree-shaped mean would make results depend on the rank count. Here each
// term w * u is rounded once to a fixed-point integer (2^-24 units, the
// resolution of a float near 1) and the integers are added; integer addition is
// exact, so any grouping (per-rank partial sums, then MPI_Reduce's tree) gives
// the same sum bit for bit.
#pragma once

#include <cstdint>
#include <span>

namespace orrery::fed {

inline constexpr int kFixedFractionBits = 24;
// The largest |w * u| a term may have: with up to 2^20 terms, the sum stays below 2^63.
inline constexpr double kFixedTermLimit = 1 << 14;

// acc[i] += round(w * u[i] * 2^24). Throws std::overflow_error when a term is not finite or
// exceeds kFixedTermLimit in magnitude.
void add_fixed(std::span<std::int64_t> acc, std::span<const float> u, double w);
// params[i] += acc[i] * 2^-24.
void apply_fixed(std::span<const std::int64_t> acc, std::span<float> params);

}  // namespace orrery::fed
