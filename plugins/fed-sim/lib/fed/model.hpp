// A client's learner: a model whose parameters live outside it, in one flat
// float vector, so the simulation can keep one global vector and train any
// client from it on demand (10,000 clients never hold 10,000 models).
//
// A Model object holds only shapes and scratch space; it is not shared
// between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "fed/rng.hpp"

namespace orrery::fed {

class Model {
 public:
  virtual ~Model() = default;

  virtual std::size_t parameters() const = 0;
  // Fills params with a seeded initialisation.
  virtual void init(std::span<float> params, Rng& rng) const = 0;
  // Mean cross-entropy over the batch; grad (same size as params) receives its gradient.
  // x: (batch, features) row-major; y: (batch).
  virtual double loss_and_grad(std::span<const float> params, std::span<const float> x, std::span<const int> y,
                               std::span<float> grad) = 0;
  // Writes the class scores (logits) of one row into logits (classes).
  virtual void logits(std::span<const float> params, std::span<const float> row, std::span<float> logits) = 0;
  // The (offset, size) of each weight matrix in the parameter vector (biases left out):
  // the tensors whose variance decentralized averaging shrinks.
  virtual std::vector<std::pair<std::size_t, std::size_t>> weight_blocks() const = 0;
};

enum class ModelKind { logreg, mlp };
ModelKind parse_model(std::string_view name);   // throws std::invalid_argument

// hidden is the MLP's hidden width (ignored by logreg).
std::unique_ptr<Model> make_model(ModelKind kind, std::size_t features, int classes, std::size_t hidden);

// Softmax cross-entropy of one row's logits against label y; turns logits into
// dloss/dlogits in place (softmax - onehot). Shared by every model's backward pass.
double softmax_xent_backward(std::span<float> logits, int y);

}  // namespace orrery::fed
