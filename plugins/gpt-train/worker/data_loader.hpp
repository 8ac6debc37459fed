// Which token windows each rank trains and validates on. Stateless: global sequence g of
// the run starts at a position drawn from (seed, g), and rank r of R takes sequences
// [r B/R, (r+1) B/R) of each step's global batch of B, so the global batch of a step is
// the same on any number of ranks and a resumed run needs only the step to continue.
#pragma once

#include <cstdint>
#include <vector>

namespace orrery::gpt {

class DataLoader {
 public:
  DataLoader(const std::vector<int>& tokens, int context, std::uint64_t seed);
  // Inputs and targets (local_batch, T) of global sequences [first, first + local_batch).
  void fill(std::int64_t first, int local_batch, std::vector<int>& inputs, std::vector<int>& targets) const;
  // The same for the i-th validation sequence: fixed windows spread over the tokens.
  void fill_fixed(std::int64_t first, int local_batch, std::vector<int>& inputs, std::vector<int>& targets) const;

 private:
  void fill_keyed(std::uint64_t key, std::int64_t first, int local_batch, std::vector<int>& inputs,
                  std::vector<int>& targets) const;
  void window(std::size_t start, int row, std::vector<int>& inputs, std::vector<int>& targets) const;
  const std::vector<int>& tokens_;
  int T_;
  std::uint64_t seed_;
};

}  // namespace orrery::gpt
