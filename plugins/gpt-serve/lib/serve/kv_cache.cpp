#include "serve/kv_cache.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace orrery::serve {

KvBlockPool::KvBlockPool(int blocks, int block_size, int layers, int channels)
    : total_(blocks), block_size_(block_size), layers_(layers), channels_(channels) {
  if (blocks < 1 || block_size < 1 || layers < 1 || channels < 1)
    throw std::invalid_argument("KV cache: blocks, block size, layers and channels must be positive");
  storage_.assign(static_cast<std::size_t>(blocks) * static_cast<std::size_t>(layers) *
                      static_cast<std::size_t>(block_size) * 2 * static_cast<std::size_t>(channels),
                  0.0f);
  free_.reserve(static_cast<std::size_t>(blocks));
  for (int b = blocks - 1; b >= 0; --b) free_.push_back(b);
  in_use_.assign(static_cast<std::size_t>(blocks), 0);
}

int KvBlockPool::allocate() {
  if (free_.empty()) throw std::runtime_error("KV cache: no free block");
  const int b = free_.back();
  free_.pop_back();
  in_use_[static_cast<std::size_t>(b)] = 1;
  return b;
}

void KvBlockPool::release(int block) {
  if (block < 0 || block >= total_ || !in_use_[static_cast<std::size_t>(block)])
    throw std::logic_error("KV cache: block " + std::to_string(block) + " released but not in use");
  in_use_[static_cast<std::size_t>(block)] = 0;
  free_.push_back(block);
}

bool reserve_positions(KvBlockPool& pool, BlockTable& table, int positions) {
  const int need = pool.blocks_for(positions) - static_cast<int>(table.blocks.size());
  if (need <= 0) return true;
  if (need > pool.free_blocks()) return false;
  for (int i = 0; i < need; ++i) table.blocks.push_back(pool.allocate());
  return true;
}

void release_all(KvBlockPool& pool, BlockTable& table) {
  for (const int b : table.blocks) pool.release(b);
  table.blocks.clear();
  table.length = 0;
}

std::size_t kv_floats(const KvBlockPool& pool, int length) {
  return static_cast<std::size_t>(length) * static_cast<std::size_t>(pool.layers()) * 2 *
         static_cast<std::size_t>(pool.channels());
}

std::vector<float> export_kv(KvBlockPool& pool, const BlockTable& table) {
  const int bs = pool.block_size(), C = pool.channels();
  std::vector<float> out(kv_floats(pool, table.length));
  float* o = out.data();
  for (int t = 0; t < table.length; ++t)
    for (int l = 0; l < pool.layers(); ++l) {
      const int block = table.blocks[static_cast<std::size_t>(t / bs)];
      o = std::copy_n(pool.key(block, l, t % bs), 2 * C, o);  // key and value rows are adjacent
    }
  return out;
}

void import_kv(KvBlockPool& pool, BlockTable& table, const float* data, int length) {
  if (!reserve_positions(pool, table, length)) throw std::runtime_error("KV cache: too few free blocks to import");
  const int bs = pool.block_size(), C = pool.channels();
  for (int t = 0; t < length; ++t)
    for (int l = 0; l < pool.layers(); ++l) {
      const int block = table.blocks[static_cast<std::size_t>(t / bs)];
      std::copy_n(data, 2 * C, pool.key(block, l, t % bs));
      data += 2 * C;
    }
  table.length = length;
}

}  // namespace orrery::serve
