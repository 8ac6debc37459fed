#include "fed/exact_sum.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace orrery::fed {

void add_fixed(std::span<std::int64_t> acc, std::span<const float> u, double w) {
  const double scale = std::ldexp(1.0, kFixedFractionBits);
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double term = w * static_cast<double>(u[i]);
    if (!(std::abs(term) <= kFixedTermLimit))
      throw std::overflow_error("an update coordinate (" + std::to_string(term) +
                                ") is too large for the exact tree sum (|weight x value| <= 16384); "
                                "use aggregation_tree=false");
    // Round half away from zero by hand: a truncating conversion is one instruction,
    // llround a library call, and this loop runs over every parameter of every update.
    const double x = term * scale;
    acc[i] += static_cast<std::int64_t>(x + (x >= 0 ? 0.5 : -0.5));
  }
}

void apply_fixed(std::span<const std::int64_t> acc, std::span<float> params) {
  const double unit = std::ldexp(1.0, -kFixedFractionBits);
  for (std::size_t i = 0; i < params.size(); ++i) params[i] += static_cast<float>(static_cast<double>(acc[i]) * unit);
}

}  // namespace orrery::fed
