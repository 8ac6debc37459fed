#include "fed/logreg.hpp"

#include <algorithm>

namespace orrery::fed {

void LogReg::init(std::span<float> params, Rng& rng) const {
  // Small random weights (a convex model would train from zeros too, but a
  // random start makes the init seed matter, as it does for the MLP).
  for (std::size_t i = 0; i < c_ * f_; ++i) params[i] = static_cast<float>(rng.normal(0.0, 0.01));
  std::fill(params.begin() + static_cast<std::ptrdiff_t>(c_ * f_), params.end(), 0.0f);
}

void LogReg::logits(std::span<const float> params, std::span<const float> row, std::span<float> out) {
  const float* w = params.data();
  const float* b = params.data() + c_ * f_;
  for (std::size_t c = 0; c < c_; ++c) {
    float s = b[c];
    const float* wc = w + c * f_;
    for (std::size_t j = 0; j < f_; ++j) s += wc[j] * row[j];
    out[c] = s;
  }
}

double LogReg::loss_and_grad(std::span<const float> params, std::span<const float> x, std::span<const int> y,
                             std::span<float> grad) {
  std::fill(grad.begin(), grad.end(), 0.0f);
  float* gw = grad.data();
  float* gb = grad.data() + c_ * f_;
  const std::size_t batch = y.size();
  const float scale = 1.0f / static_cast<float>(batch);
  double loss = 0;
  for (std::size_t i = 0; i < batch; ++i) {
    const auto row = x.subspan(i * f_, f_);
    logits(params, row, z_);
    loss += softmax_xent_backward(z_, y[i]);   // z_ = dloss/dlogits (C)
    for (std::size_t c = 0; c < c_; ++c) {
      const float d = z_[c] * scale;
      gb[c] += d;
      float* g = gw + c * f_;
      for (std::size_t j = 0; j < f_; ++j) g[j] += d * row[j];
    }
  }
  return loss / static_cast<double>(batch);
}

}  // namespace orrery::fed
