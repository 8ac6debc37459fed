#include "gpt/model_config.hpp"

#include <stdexcept>

namespace orrery::gpt {

std::size_t ModelConfig::parameter_count() const {
  const auto V = static_cast<std::size_t>(vocab), T = static_cast<std::size_t>(context),
             L = static_cast<std::size_t>(layers), C = static_cast<std::size_t>(channels);
  const std::size_t per_layer = 2 * C + 3 * C * C + 3 * C + C * C + C + 2 * C + 4 * C * C + 4 * C + 4 * C * C + C;
  return V * C + T * C + L * per_layer + 2 * C;
}

void ModelConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  need(vocab >= 2, "vocab must be at least 2, got " + std::to_string(vocab));
  need(context >= 1, "context must be at least 1, got " + std::to_string(context));
  need(layers >= 1, "layers must be at least 1, got " + std::to_string(layers));
  need(heads >= 1, "heads must be at least 1, got " + std::to_string(heads));
  need(channels >= 1 && channels % heads == 0,
       "channels (" + std::to_string(channels) + ") must be a positive multiple of heads (" + std::to_string(heads) + ")");
}

ModelConfig preset(std::string_view name) {
  if (name == "test") return {512, 64, 2, 4, 64};
  if (name == "mini") return {1024, 128, 4, 4, 128};
  if (name == "small") return {4096, 256, 6, 6, 384};
  if (name == "gpt2") return {50257, 1024, 12, 12, 768};
  throw std::invalid_argument("unknown model preset '" + std::string(name) + "' (test, mini, small, gpt2)");
}

double training_flops_per_token(const ModelConfig& m) {
  const double n = static_cast<double>(m.parameter_count()) - static_cast<double>(m.context) * m.channels;
  return 6.0 * n + 12.0 * m.layers * m.context * static_cast<double>(m.channels);
}

}  // namespace orrery::gpt
