// One client's part of a round: start from the global model, run local SGD
// for E epochs over its own rows, and hand back the update (local - global).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fed/dataset.hpp"
#include "fed/model.hpp"
#include "fed/rng.hpp"

namespace orrery::fed {

struct LocalTraining {
  int epochs = 1;
  std::int64_t steps = 0;    // > 0: exactly this many minibatch steps instead of `epochs` (FedCompass assigns them)
  std::size_t batch_size = 16;
  double lr = 0.1;
  double prox_mu = 0;      // FedProx: adds mu/2 ||w - w_global||^2 to the local loss (0: plain FedAvg)
  bool flip_labels = false;  // label-flip attacker: trains on classes-1-y
};

struct LocalResult {
  double loss = 0;   // mean minibatch loss over the last (possibly partial) epoch
  std::size_t samples_seen = 0;
};

// Scratch buffers reused across clients on one rank, so training 10,000
// clients allocates nothing per client.
struct TrainScratch {
  std::vector<float> local, grad, x;
  std::vector<int> y;
  std::vector<std::uint32_t> order;
};

// Trains from `global` on `rows` of `train` and writes local - global into
// `update` (size of the model). rng drives the batch order.
LocalResult train_local(Model& model, const LocalTraining& cfg, const Dataset& train,
                        std::span<const std::uint32_t> rows, std::span<const float> global, std::span<float> update,
                        Rng& rng, TrainScratch& scratch);

// Mean loss and accuracy of params over a data set.
struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};
Evaluation evaluate(Model& model, std::span<const float> params, const Dataset& data);

}  // namespace orrery::fed
