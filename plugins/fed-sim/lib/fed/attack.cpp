#include "fed/attack.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "fed/choice.hpp"

namespace orrery::fed {

AttackKind parse_attack(std::string_view name) {
  return parse_choice<AttackKind>("attack", name,
                                  {{"sign_flip", AttackKind::sign_flip},
                                   {"gaussian", AttackKind::gaussian},
                                   {"label_flip", AttackKind::label_flip},
                                   {"alie", AttackKind::alie}});
}

std::vector<bool> choose_byzantine(std::size_t clients, double fraction, std::uint64_t seed) {
  std::vector<std::size_t> ids(clients);
  std::iota(ids.begin(), ids.end(), std::size_t{0});
  Rng(seed, Stream::byzantine).shuffle(std::span(ids));
  const auto count = static_cast<std::size_t>(std::floor(fraction * static_cast<double>(clients)));
  std::vector<bool> out(clients, false);
  for (std::size_t i = 0; i < count; ++i) out[ids[i]] = true;
  return out;
}

void tamper_update(AttackKind kind, double scale, std::span<float> update, Rng& rng) {
  if (kind == AttackKind::sign_flip) {
    for (float& v : update) v = static_cast<float>(-scale * v);
  } else if (kind == AttackKind::gaussian) {
    double sq = 0;
    for (float v : update) sq += static_cast<double>(v) * v;
    const double sd = scale * std::sqrt(sq / static_cast<double>(update.size()));
    for (float& v : update) v = static_cast<float>(rng.normal(0.0, sd));
  }
}

double normal_quantile(double p) {
  // Phi(x) = erfc(-x / sqrt 2) / 2 is increasing; bisect on [-40, 40].
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

double alie_z(std::size_t n, std::size_t f) {
  const auto s = static_cast<double>(n / 2 + 1) - static_cast<double>(f);
  const double p = (static_cast<double>(n) - s) / static_cast<double>(n);
  if (!(p > 0 && p < 1)) return 0;
  return normal_quantile(p);
}

void alie_collude(std::span<float> updates, std::size_t params, std::span<const std::size_t> attackers, double z) {
  if (attackers.empty()) return;
  const auto m = static_cast<double>(attackers.size());
  std::vector<float> crafted(params);
  for (std::size_t i = 0; i < params; ++i) {
    double mean = 0, sq = 0;
    for (std::size_t k : attackers) mean += updates[k * params + i];
    mean /= m;
    for (std::size_t k : attackers) {
      const double d = updates[k * params + i] - mean;
      sq += d * d;
    }
    crafted[i] = static_cast<float>(mean - z * std::sqrt(sq / m));
  }
  for (std::size_t k : attackers)
    std::copy(crafted.begin(), crafted.end(), updates.begin() + static_cast<std::ptrdiff_t>(k * params));
}

}  // namespace orrery::fed
