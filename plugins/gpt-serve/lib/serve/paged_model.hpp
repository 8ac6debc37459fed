// gpt-train's model run for inference over the paged KV cache: the same parameters and
// kernels (gpt/layers.hpp) as training, but each call feeds only the new tokens of each
// sequence (a whole prompt for a prefill, one token for a decode step), writes their keys
// and values into the sequence's blocks and attends over everything the sequence cached.
// The sequences of one call are stacked as rows, so a batch of any mix of lengths is one
// matrix product per weight.
#pragma once

#include <span>
#include <vector>

#include "gpt/model.hpp"
#include "serve/kv_cache.hpp"

namespace orrery::serve {

// New tokens of one sequence: tokens[i] goes to position table->length + i.
struct SequenceChunk {
  BlockTable* table;
  const int* tokens;
  int count;
};

class PagedGpt {
 public:
  // Keeps a reference to model, which must outlive this.
  explicit PagedGpt(const gpt::Gpt& model);
  const gpt::ModelConfig& config() const { return model_.config(); }

  // Runs the chunks: their tables must hold blocks for the new positions (reserve_positions)
  // and end within the context; advances each table's length by its count. Returns the
  // logits (chunks.size(), vocab) of each chunk's last token, valid until the next call.
  const float* forward(std::span<const SequenceChunk> chunks, KvBlockPool& pool);

 private:
  const float* param(std::size_t tensor) const { return model_.params().data() + model_.tensors()[tensor].offset; }
  const gpt::Gpt& model_;
  // Row buffers, grown to the largest call.
  std::vector<float> x_, ln_, mean_, rstd_, qkv_, atty_, proj_, fch_, gelu_, last_, logits_, scores_;
  std::vector<int> row_seq_, row_pos_;
};

}  // namespace orrery::serve
