// Byzantine clients: what an attacker does to the update it sends.
//
//   sign_flip  : sends -scale * (its honest update).
//   gaussian   : sends noise N(0, s^2) per coordinate, s = scale * rms of its honest update.
//   label_flip : trains honestly on flipped labels (classes - 1 - y); see LocalTraining.
//   alie       : "A Little Is Enough" (Baruch et al., 2019): the attackers collude,
//                take the coordinate-wise mean mu and standard deviation sigma of
//                their own honest updates, and all send mu - z * sigma, with z from
//                the paper's formula for n clients of which f attack.
//
// Which clients attack is fixed for the run: floor(fraction * clients) of them,
// chosen by a seeded shuffle.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fed/rng.hpp"

namespace orrery::fed {

enum class AttackKind { sign_flip, gaussian, label_flip, alie };
AttackKind parse_attack(std::string_view name);   // throws std::invalid_argument

// is_byzantine[k] for k < clients.
std::vector<bool> choose_byzantine(std::size_t clients, double fraction, std::uint64_t seed);

// The client-side attacks (sign_flip, gaussian) applied in place to one update;
// label_flip and alie leave it as it is here.
void tamper_update(AttackKind kind, double scale, std::span<float> update, Rng& rng);

// ALIE's z for n participants of which f attack: s = floor(n/2 + 1) - f supporters
// are needed, z = Phi^-1((n - s) / n). Returns 0 when that share is not in (0, 1).
double alie_z(std::size_t n, std::size_t f);
// Standard normal quantile, by bisection on erfc (used once per round; accurate to 1e-12).
double normal_quantile(double p);

// Replaces the rows listed in `attackers` of updates (rows, params) by mu - z * sigma,
// mu and sigma taken over those rows' current (honest) values.
void alie_collude(std::span<float> updates, std::size_t params, std::span<const std::size_t> attackers, double z);

}  // namespace orrery::fed
