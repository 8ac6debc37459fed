// The shape of a GPT-2-style model and the presets the job kind offers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace orrery::gpt {

struct ModelConfig {
  int vocab = 256;     // V: tokens of the tokenizer
  int context = 64;    // T: longest sequence (positions)
  int layers = 2;      // L
  int heads = 2;       // NH
  int channels = 64;   // C (a multiple of heads)

  int head_size() const { return channels / heads; }
  // Parameters of the model (the output head is tied to the token embedding).
  std::size_t parameter_count() const;
  // Throws std::invalid_argument naming the bad field.
  void validate() const;
  bool operator==(const ModelConfig&) const = default;
};

// "test" (~0.1M parameters at vocab 512), "mini" (~1M), "small" (~10M, the benchmark's),
// "gpt2" (GPT-2 124M's shape: 12 layers, 12 heads, 768 channels, 1024 positions, vocab 50257).
// Throws std::invalid_argument for an unknown name. Vocab and context of the preset are
// defaults the caller may override.
ModelConfig preset(std::string_view name);

// Floating-point operations of one training step (forward + backward) per token, as in
// the PaLM paper's appendix: 6 N + 12 L T C (N without the position embedding).
double training_flops_per_token(const ModelConfig& m);

}  // namespace orrery::gpt
