#include "fed/model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "fed/choice.hpp"
#include "fed/logreg.hpp"
#include "fed/mlp.hpp"

namespace orrery::fed {

ModelKind parse_model(std::string_view name) {
  return parse_choice<ModelKind>("model", name, {{"logreg", ModelKind::logreg}, {"mlp", ModelKind::mlp}});
}

std::unique_ptr<Model> make_model(ModelKind kind, std::size_t features, int classes, std::size_t hidden) {
  if (kind == ModelKind::logreg) return std::make_unique<LogReg>(features, static_cast<std::size_t>(classes));
  return std::make_unique<Mlp>(features, hidden, static_cast<std::size_t>(classes));
}

double softmax_xent_backward(std::span<float> logits, int y) {
  // Shifted by the maximum so exp never overflows.
  const float top = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float& v : logits) {
    v = std::exp(v - top);
    sum += v;
  }
  const auto label = static_cast<std::size_t>(y);
  const double p_y = logits[label] / sum;
  for (float& v : logits) v = static_cast<float>(v / sum);
  logits[label] -= 1.0f;
  return -std::log(std::max(p_y, 1e-30));
}

}  // namespace orrery::fed
