#include "data_loader.hpp"

#include <stdexcept>
#include <string>

#include "gpt/rng.hpp"

namespace orrery::gpt {

DataLoader::DataLoader(const std::vector<int>& tokens, int context, std::uint64_t seed)
    : tokens_(tokens), T_(context), seed_(seed) {
  if (tokens.size() < static_cast<std::size_t>(context) + 2)
    throw std::runtime_error("the corpus gives " + std::to_string(tokens.size()) +
                             " tokens, too few for a context of " + std::to_string(context));
}

void DataLoader::window(std::size_t start, int row, std::vector<int>& inputs, std::vector<int>& targets) const {
  for (int t = 0; t < T_; ++t) {
    inputs[static_cast<std::size_t>(row * T_ + t)] = tokens_[start + static_cast<std::size_t>(t)];
    targets[static_cast<std::size_t>(row * T_ + t)] = tokens_[start + static_cast<std::size_t>(t) + 1];
  }
}

void DataLoader::fill_keyed(std::uint64_t key, std::int64_t first, int local_batch, std::vector<int>& inputs,
                            std::vector<int>& targets) const {
  inputs.resize(static_cast<std::size_t>(local_batch) * static_cast<std::size_t>(T_));
  targets.resize(inputs.size());
  const std::uint64_t positions = tokens_.size() - static_cast<std::size_t>(T_) - 1;
  for (int i = 0; i < local_batch; ++i) {
    const auto g = static_cast<std::uint64_t>(first + i);
    window(static_cast<std::size_t>(mix64(key ^ mix64(g)) % positions), i, inputs, targets);
  }
}

void DataLoader::fill(std::int64_t first, int local_batch, std::vector<int>& inputs, std::vector<int>& targets) const {
  fill_keyed(seed_, first, local_batch, inputs, targets);
}

void DataLoader::fill_fixed(std::int64_t first, int local_batch, std::vector<int>& inputs,
                            std::vector<int>& targets) const {
  // Not the seed: every run of a corpus validates on the same windows.
  fill_keyed(0x76616C6964ull, first, local_batch, inputs, targets);
}

}  // namespace orrery::gpt
