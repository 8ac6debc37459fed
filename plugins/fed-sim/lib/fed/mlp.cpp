#include "fed/mlp.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::fed {

void Mlp::init(std::span<float> params, Rng& rng) const {
  // He initialisation for the relu layer, Glorot-like for the output layer; zero biases.
  std::fill(params.begin(), params.end(), 0.0f);
  const auto p = blocks(params.data());
  const double s1 = std::sqrt(2.0 / static_cast<double>(f_)), s2 = std::sqrt(1.0 / static_cast<double>(h_));
  for (std::size_t i = 0; i < h_ * f_; ++i) p.w1[i] = static_cast<float>(rng.normal(0.0, s1));
  for (std::size_t i = 0; i < c_ * h_; ++i) p.w2[i] = static_cast<float>(rng.normal(0.0, s2));
}

void Mlp::forward(std::span<const float> params, std::span<const float> row) {
  const auto p = blocks(params.data());
  for (std::size_t k = 0; k < h_; ++k) {
    float s = p.b1[k];
    const float* w = p.w1 + k * f_;
    for (std::size_t j = 0; j < f_; ++j) s += w[j] * row[j];
    a_[k] = s > 0.0f ? s : 0.0f;
  }
  for (std::size_t c = 0; c < c_; ++c) {
    float s = p.b2[c];
    const float* w = p.w2 + c * h_;
    for (std::size_t k = 0; k < h_; ++k) s += w[k] * a_[k];
    z_[c] = s;
  }
}

void Mlp::logits(std::span<const float> params, std::span<const float> row, std::span<float> out) {
  forward(params, row);
  std::copy(z_.begin(), z_.end(), out.begin());
}

double Mlp::loss_and_grad(std::span<const float> params, std::span<const float> x, std::span<const int> y,
                          std::span<float> grad) {
  std::fill(grad.begin(), grad.end(), 0.0f);
  const auto p = blocks(params.data());
  const auto g = blocks(grad.data());
  const std::size_t batch = y.size();
  const float scale = 1.0f / static_cast<float>(batch);
  double loss = 0;
  for (std::size_t i = 0; i < batch; ++i) {
    const auto row = x.subspan(i * f_, f_);
    forward(params, row);
    loss += softmax_xent_backward(z_, y[i]);   // z_ = dloss/dlogits (C)
    for (std::size_t c = 0; c < c_; ++c) {
      const float d = z_[c] * scale;
      g.b2[c] += d;
      float* gw = g.w2 + c * h_;
      for (std::size_t k = 0; k < h_; ++k) gw[k] += d * a_[k];
    }
    // Back through W2 and the relu, into layer 1.
    for (std::size_t k = 0; k < h_; ++k) {
      if (a_[k] <= 0.0f) continue;
      float da = 0;
      for (std::size_t c = 0; c < c_; ++c) da += p.w2[c * h_ + k] * z_[c];
      da *= scale;
      g.b1[k] += da;
      float* gw = g.w1 + k * f_;
      for (std::size_t j = 0; j < f_; ++j) gw[j] += da * row[j];
    }
  }
  return loss / static_cast<double>(batch);
}

}  // namespace orrery::fed
