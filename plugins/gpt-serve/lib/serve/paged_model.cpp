#include "serve/paged_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gpt/layers.hpp"

namespace orrery::serve {

namespace {

// The flat tensor order of gpt/model.hpp: wte, wpe, 12 per layer, ln_f weight and bias.
constexpr std::size_t kWte = 0, kWpe = 1, kFirstLayer = 2, kPerLayer = 12;
enum : std::size_t { kLn1W, kLn1B, kQkvW, kQkvB, kAttProjW, kAttProjB, kLn2W, kLn2B, kFcW, kFcB, kFcProjW, kFcProjB };

void grow(std::vector<float>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

PagedGpt::PagedGpt(const gpt::Gpt& model) : model_(model) {
  // The layout this class indexes: checked once by name rather than trusted.
  const auto& t = model.tensors();
  const std::size_t lnf = kFirstLayer + static_cast<std::size_t>(model.config().layers) * kPerLayer;
  if (t.size() != lnf + 2 || t[kWte].name != "wte.weight" || t[kWpe].name != "wpe.weight" ||
      t[kFirstLayer + kQkvW].name != "h.0.attn.c_attn.weight" || t[lnf].name != "ln_f.weight")
    throw std::logic_error("gpt-serve: gpt-train's tensor layout changed");
}

const float* PagedGpt::forward(std::span<const SequenceChunk> chunks, KvBlockPool& pool) {
  const auto& cfg = model_.config();
  const int C = cfg.channels, V = cfg.vocab, NH = cfg.heads, hs = cfg.head_size(), bs = pool.block_size();
  const auto uC = static_cast<std::size_t>(C);
  int N = 0;
  for (const auto& ch : chunks) {
    if (ch.count < 1 || ch.table->length + ch.count > cfg.context)
      throw std::invalid_argument("gpt-serve: a sequence would pass the context of " + std::to_string(cfg.context));
    if (pool.blocks_for(ch.table->length + ch.count) > static_cast<int>(ch.table->blocks.size()))
      throw std::logic_error("gpt-serve: blocks not reserved for a chunk");
    N += ch.count;
  }
  const auto uN = static_cast<std::size_t>(N), S = chunks.size();
  grow(x_, uN * uC), grow(ln_, uN * uC), grow(mean_, uN), grow(rstd_, uN), grow(qkv_, uN * 3 * uC);
  grow(atty_, uN * uC), grow(proj_, uN * uC), grow(fch_, uN * 4 * uC), grow(gelu_, uN * 4 * uC);
  grow(last_, S * uC), grow(logits_, S * static_cast<std::size_t>(V)), grow(scores_, static_cast<std::size_t>(cfg.context));
  row_seq_.resize(uN);
  row_pos_.resize(uN);

  int r = 0;
  for (std::size_t s = 0; s < S; ++s)
    for (int i = 0; i < chunks[s].count; ++i, ++r) {
      const int pos = chunks[s].table->length + i;
      row_seq_[static_cast<std::size_t>(r)] = static_cast<int>(s);
      row_pos_[static_cast<std::size_t>(r)] = pos;
      // One row of the training embedding: the position table shifted to this position.
      gpt::embedding_forward(x_.data() + static_cast<std::size_t>(r) * uC, chunks[s].tokens + i, param(kWte),
                             param(kWpe) + static_cast<std::size_t>(pos) * uC, 1, 1, C);
    }

  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int l = 0; l < cfg.layers; ++l) {
    const std::size_t base = kFirstLayer + static_cast<std::size_t>(l) * kPerLayer;
    gpt::layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), param(base + kLn1W), param(base + kLn1B), N, C);
    gpt::matmul_forward(qkv_.data(), ln_.data(), param(base + kQkvW), param(base + kQkvB), N, C, 3 * C);
    // Every new key and value into the cache first: a prompt's rows attend to each other.
    for (std::size_t i = 0; i < uN; ++i) {
      const BlockTable& t = *chunks[static_cast<std::size_t>(row_seq_[i])].table;
      const int pos = row_pos_[i];
      const int block = t.blocks[static_cast<std::size_t>(pos / bs)];
      const float* q = qkv_.data() + i * 3 * uC;
      std::copy_n(q + C, C, pool.key(block, l, pos % bs));
      std::copy_n(q + 2 * C, C, pool.value(block, l, pos % bs));
    }
    // Causal attention of each row over its sequence's positions 0 .. pos, read block by block.
    for (std::size_t i = 0; i < uN; ++i) {
      const BlockTable& t = *chunks[static_cast<std::size_t>(row_seq_[i])].table;
      const int pos = row_pos_[i];
      for (int h = 0; h < NH; ++h) {
        const float* q = qkv_.data() + i * 3 * uC + static_cast<std::size_t>(h * hs);
        float mx = -INFINITY;
        for (int p = 0; p <= pos; ++p) {
          const float* k = pool.key(t.blocks[static_cast<std::size_t>(p / bs)], l, p % bs) + h * hs;
          float dot = 0;
          for (int c = 0; c < hs; ++c) dot += q[c] * k[c];
          scores_[static_cast<std::size_t>(p)] = dot * scale;
          mx = std::max(mx, dot * scale);
        }
        float sum = 0;
        for (int p = 0; p <= pos; ++p) sum += scores_[static_cast<std::size_t>(p)] = std::exp(scores_[static_cast<std::size_t>(p)] - mx);
        float* out = atty_.data() + i * uC + static_cast<std::size_t>(h * hs);
        std::fill_n(out, hs, 0.0f);
        for (int p = 0; p <= pos; ++p) {
          const float w = scores_[static_cast<std::size_t>(p)] / sum;
          const float* v = pool.value(t.blocks[static_cast<std::size_t>(p / bs)], l, p % bs) + h * hs;
          for (int c = 0; c < hs; ++c) out[c] += w * v[c];
        }
      }
    }
    gpt::matmul_forward(proj_.data(), atty_.data(), param(base + kAttProjW), param(base + kAttProjB), N, C, C);
    gpt::residual_forward(x_.data(), x_.data(), proj_.data(), static_cast<long>(uN * uC));
    gpt::layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x_.data(), param(base + kLn2W), param(base + kLn2B), N, C);
    gpt::matmul_forward(fch_.data(), ln_.data(), param(base + kFcW), param(base + kFcB), N, C, 4 * C);
    gpt::gelu_forward(gelu_.data(), fch_.data(), static_cast<long>(uN * 4 * uC));
    gpt::matmul_forward(proj_.data(), gelu_.data(), param(base + kFcProjW), param(base + kFcProjB), N, 4 * C, C);
    gpt::residual_forward(x_.data(), x_.data(), proj_.data(), static_cast<long>(uN * uC));
  }
  // Only each chunk's last row needs logits.
  std::size_t row = 0;
  for (std::size_t s = 0; s < S; ++s) {
    row += static_cast<std::size_t>(chunks[s].count);
    std::copy_n(x_.data() + (row - 1) * uC, C, last_.data() + s * uC);
    chunks[s].table->length += chunks[s].count;
  }
  const std::size_t lnf = kFirstLayer + static_cast<std::size_t>(cfg.layers) * kPerLayer;
  gpt::layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), last_.data(), param(lnf), param(lnf + 1),
                         static_cast<int>(S), C);
  gpt::matmul_forward(logits_.data(), ln_.data(), param(kWte), nullptr, static_cast<int>(S), C, V);
  return logits_.data();
}

}  // namespace orrery::serve
