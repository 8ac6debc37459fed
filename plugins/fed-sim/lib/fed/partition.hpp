// How the training rows are dealt to the clients.
//
//   iid       : a seeded shuffle, cut into near-equal parts.
//   dirichlet : label skew (Hsu et al., 2019): for each class, client shares
//               drawn from Dirichlet(alpha); small alpha gives each client few classes.
//   quantity  : sizes drawn from Dirichlet(alpha) over the clients, labels IID.
//
// Every client gets at least one row (a client with nothing to train on would
// be no client), so there can be at most as many clients as training rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace orrery::fed {

enum class PartitionKind { iid, dirichlet, quantity };
PartitionKind parse_partition(std::string_view name);   // throws std::invalid_argument

// Client k's rows are rows[offsets[k] .. offsets[k+1]) of the training set.
// Stored flat: 10,000 clients cost one index per training row plus one offset each.
struct Partition {
  std::vector<std::uint32_t> rows;
  std::vector<std::size_t> offsets;   // clients + 1 entries

  std::size_t clients() const { return offsets.size() - 1; }
  std::span<const std::uint32_t> of(std::size_t client) const {
    return {rows.data() + offsets[client], offsets[client + 1] - offsets[client]};
  }
  std::size_t size(std::size_t client) const { return offsets[client + 1] - offsets[client]; }
};

// labels: the training set's labels; alpha is used by dirichlet and quantity.
// Throws std::invalid_argument for clients > rows, clients == 0 or alpha <= 0.
Partition make_partition(PartitionKind kind, std::span<const int> labels, int classes, std::size_t clients,
                         double alpha, std::uint64_t seed);

}  // namespace orrery::fed
