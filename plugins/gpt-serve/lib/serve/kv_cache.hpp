// The paged KV cache: keys and values of every layer in fixed-size blocks taken from one
// pool, and per sequence a block table mapping its positions to blocks (as in vLLM's
// PagedAttention), so sequences of any length share the memory without fragmentation and a
// finished sequence gives its blocks back at once.
#pragma once

#include <cstddef>
#include <vector>

namespace orrery::serve {

class KvBlockPool {
 public:
  // blocks of block_size positions, each holding a key and a value row of `channels` floats
  // for every layer. Throws std::invalid_argument when a size is not positive.
  KvBlockPool(int blocks, int block_size, int layers, int channels);

  int block_size() const { return block_size_; }
  int layers() const { return layers_; }
  int channels() const { return channels_; }
  int total_blocks() const { return total_; }
  int free_blocks() const { return static_cast<int>(free_.size()); }
  int used_blocks() const { return total_ - free_blocks(); }
  double occupancy() const { return static_cast<double>(used_blocks()) / total_; }
  int blocks_for(int positions) const { return (positions + block_size_ - 1) / block_size_; }

  int allocate();  // throws std::runtime_error when the pool is empty
  void release(int block);

  float* key(int block, int layer, int slot) { return row(block, layer, slot); }
  float* value(int block, int layer, int slot) { return row(block, layer, slot) + channels_; }

 private:
  float* row(int block, int layer, int slot) {
    const auto index = (static_cast<std::size_t>(block) * static_cast<std::size_t>(layers_) + static_cast<std::size_t>(layer)) *
                           static_cast<std::size_t>(block_size_) + static_cast<std::size_t>(slot);
    return storage_.data() + index * 2 * static_cast<std::size_t>(channels_);
  }
  int total_, block_size_, layers_, channels_;
  std::vector<float> storage_;  // (blocks, layers, block_size, 2, channels)
  std::vector<int> free_;       // a stack: the most recently freed block is reused first
  std::vector<char> in_use_;    // catches a double release
};

// One sequence's cache: blocks[i] holds positions [i * block_size, (i + 1) * block_size).
struct BlockTable {
  std::vector<int> blocks;
  int length = 0;  // positions whose keys and values are written
};

// Grows table to hold `positions`; all or nothing: false (and no block taken) when the pool
// has too few free blocks.
bool reserve_positions(KvBlockPool& pool, BlockTable& table, int positions);
void release_all(KvBlockPool& pool, BlockTable& table);

// The table's keys and values as one array (length, layers, 2, channels): what a prefill
// rank sends to a decode rank. import_kv reserves the blocks and writes them back.
std::vector<float> export_kv(KvBlockPool& pool, const BlockTable& table);
void import_kv(KvBlockPool& pool, BlockTable& table, const float* data, int length);
std::size_t kv_floats(const KvBlockPool& pool, int length);

}  // namespace orrery::serve
