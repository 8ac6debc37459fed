// Decentralized learning: D-PSGD (Lian et al., 2017) on a topology, with optional
// variance-corrected averaging.
//
// Every node (a client) keeps its own model, initialised independently (as
// nodes that never met would). A round: each node trains locally from its own
// model, then replaces it by the Metropolis-Hastings weighted average of its
// own and its neighbours' trained models.
//
// Averaging models that are not yet correlated shrinks the variance of their
// weights, and with it the variance of the activations, round after round (the
// vanishing variance problem of fully decentralized training). Variance-corrected
// averaging, as we implement it: for each weight matrix of node i, after mixing,
//   target = sum_j w_ij Var(trained_j)      (the weighted mean variance it mixed)
//   mixed  = mean(mixed) + (mixed - mean(mixed)) * sqrt(target / Var(mixed))
// so each matrix keeps the spread its inputs had while its mean is the average's.
//
// With aggregator bristle, each node mixes only the neighbours that pass Bristle's
// distance and performance tests (bristle.hpp); Byzantine nodes send their tampered
// trained model (own + attacked update) to every neighbour.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "fed/simulation.hpp"
#include "fed/topology.hpp"

namespace orrery::fed {

class Gossip {
 public:
  explicit Gossip(Simulation& sim);   // sim.topology must be set

  std::size_t nodes() const { return sim_.clients(); }
  std::size_t params() const { return sim_.global.size(); }
  // (nodes, params): every node's current model.
  std::span<const float> models() const { return models_; }
  std::span<const float> model(std::size_t node) const { return std::span(models_).subspan(node * params(), params()); }

  // Trains `nodes` (ascending) for `round` from their own models; writes one trained
  // model (params floats) per node into `trained`, and its record. A node that is
  // down (down[node], may be empty: none) does not train: its "trained" model is its own.
  void train(std::span<const std::size_t> nodes, std::int64_t round, std::span<float> trained,
             std::span<ClientRecord> records, TrainScratch& scratch, const std::vector<bool>& down = {});
  // Replaces every model by the gossip average of the trained ones (nodes, params) over
  // the links of `graph` (the topology, or the links up this round).
  void mix(std::span<const float> trained, const Topology& graph);

  // The mean of all node models (what the network would agree on).
  std::vector<float> average() const;
  // Mean over nodes of ||x_i - mean||^2.
  double consensus_distance() const;

 private:
  Simulation& sim_;
  std::vector<float> models_;
  std::vector<std::pair<std::size_t, std::size_t>> blocks_;
};

// Variance of a model's logits over (up to `rows` of) a data set's rows and classes:
// the "activations" whose vanishing variance the correction is about.
double activation_variance(Model& model, std::span<const float> params, const Dataset& data, std::size_t rows);

}  // namespace orrery::fed
