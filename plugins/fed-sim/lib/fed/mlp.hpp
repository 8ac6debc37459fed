// Two-layer perceptron: logits = W2 relu(W1 x + b1) + b2.
// Parameter layout: W1 (hidden, features), b1 (hidden), W2 (classes, hidden), b2 (classes).
#pragma once

#include <vector>

#include "fed/model.hpp"

namespace orrery::fed {

class Mlp final : public Model {
 public:
  Mlp(std::size_t features, std::size_t hidden, std::size_t classes)
      : f_(features), h_(hidden), c_(classes), a_(hidden), z_(classes) {}

  std::size_t parameters() const override { return h_ * f_ + h_ + c_ * h_ + c_; }
  void init(std::span<float> params, Rng& rng) const override;
  double loss_and_grad(std::span<const float> params, std::span<const float> x, std::span<const int> y,
                       std::span<float> grad) override;
  void logits(std::span<const float> params, std::span<const float> row, std::span<float> out) override;
  std::vector<std::pair<std::size_t, std::size_t>> weight_blocks() const override {
    return {{0, h_ * f_}, {h_ * f_ + h_, c_ * h_}};
  }

 private:
  // Views of the four blocks of a parameter (or gradient) vector.
  template <class T>   // float or const float
  struct Blocks {
    T* w1;
    T* b1;
    T* w2;
    T* b2;
  };
  template <class T>
  Blocks<T> blocks(T* p) const {
    return {p, p + h_ * f_, p + h_ * f_ + h_, p + h_ * f_ + h_ + c_ * h_};
  }
  void forward(std::span<const float> params, std::span<const float> row);   // fills a_ and z_

  std::size_t f_, h_, c_;
  std::vector<float> a_;   // (hidden) activations after relu
  std::vector<float> z_;   // (classes) logits
};

}  // namespace orrery::fed
