// Multinomial logistic regression: logits = W x + b.
// Parameter layout: W (classes, features) row-major, then b (classes).
#pragma once

#include <vector>

#include "fed/model.hpp"

namespace orrery::fed {

class LogReg final : public Model {
 public:
  LogReg(std::size_t features, std::size_t classes) : f_(features), c_(classes), z_(classes) {}

  std::size_t parameters() const override { return c_ * f_ + c_; }
  void init(std::span<float> params, Rng& rng) const override;
  double loss_and_grad(std::span<const float> params, std::span<const float> x, std::span<const int> y,
                       std::span<float> grad) override;
  void logits(std::span<const float> params, std::span<const float> row, std::span<float> out) override;
  std::vector<std::pair<std::size_t, std::size_t>> weight_blocks() const override { return {{0, c_ * f_}}; }

 private:
  std::size_t f_, c_;
  std::vector<float> z_;   // (classes) scratch
};

}  // namespace orrery::fed
