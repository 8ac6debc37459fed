// fed-sim's learners: gradients against finite differences, local SGD that
// learns, FedProx's pull towards the global model, label flipping.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "fed/local_training.hpp"
#include "fed/model.hpp"
#include "fed_test_support.hpp"

using namespace orrery::fed;
using orrery::fed::test_support::blobs;

namespace {

// Largest relative difference between the analytic gradient and central differences. The step
// (3e-3) is large enough for the float model's rounding and small enough that few relu
// units change side within it.
double gradient_error(Model& m, const Dataset& d, std::size_t batch) {
  std::vector<float> p(m.parameters()), g(m.parameters());
  Rng rng(5);
  m.init(p, rng);
  for (auto& v : p) v += static_cast<float>(rng.normal(0.0, 0.1));   // off the init's zero biases
  const auto x = std::span(d.x).first(batch * d.features);
  const auto y = std::span(d.y).first(batch);
  m.loss_and_grad(p, x, y, g);
  std::vector<float> scratch(m.parameters());
  double worst = 0;
  for (std::size_t i = 0; i < p.size(); i += 7) {
    const float keep = p[i], h = 3e-3f;
    p[i] = keep + h;
    const double up = m.loss_and_grad(p, x, y, scratch);
    p[i] = keep - h;
    const double down = m.loss_and_grad(p, x, y, scratch);
    p[i] = keep;
    const double numeric = (up - down) / (2.0 * h);
    worst = std::max(worst, std::abs(numeric - g[i]) / std::max(1e-2, std::abs(numeric) + std::abs(g[i])));
  }
  return worst;
}

}  // namespace

TEST(FedLearners, LogRegGradientMatchesFiniteDifferences) {
  const Dataset d = blobs(4, 6, 10, 1);
  auto m = make_model(ModelKind::logreg, 6, 4, 0);
  EXPECT_EQ(m->parameters(), 4u * 6u + 4u);
  EXPECT_LT(gradient_error(*m, d, 12), 2e-2);
}

TEST(FedLearners, MlpGradientMatchesFiniteDifferences) {
  const Dataset d = blobs(3, 5, 10, 2);
  auto m = make_model(ModelKind::mlp, 5, 3, 8);
  EXPECT_EQ(m->parameters(), 8u * 5u + 8u + 3u * 8u + 3u);
  EXPECT_LT(gradient_error(*m, d, 12), 2e-2);
}

TEST(FedLearners, SoftmaxCrossEntropyByHand) {
  std::vector<float> z{0.0f, std::log(3.0f)};   // p = (1/4, 3/4)
  EXPECT_NEAR(softmax_xent_backward(z, 1), -std::log(0.75), 1e-6);
  EXPECT_NEAR(z[0], 0.25, 1e-6);
  EXPECT_NEAR(z[1], -0.25, 1e-6);
  std::vector<float> big{1000.0f, 0.0f};   // no overflow
  EXPECT_NEAR(softmax_xent_backward(big, 0), 0.0, 1e-6);
}

TEST(FedLearners, LocalSgdLearnsBothModels) {
  const Dataset d = blobs(5, 8, 60, 3);
  std::vector<std::uint32_t> rows(d.rows());
  std::iota(rows.begin(), rows.end(), 0u);
  for (ModelKind kind : {ModelKind::logreg, ModelKind::mlp}) {
    auto m = make_model(kind, 8, 5, 16);
    std::vector<float> global(m->parameters()), update(m->parameters());
    Rng init(1);
    m->init(global, init);
    const double before = evaluate(*m, global, d).accuracy;
    LocalTraining cfg;
    cfg.epochs = 5;
    cfg.batch_size = 16;
    cfg.lr = 0.05;
    Rng rng(2);
    TrainScratch scratch;
    const LocalResult r = train_local(*m, cfg, d, rows, global, update, rng, scratch);
    EXPECT_EQ(r.samples_seen, 5 * d.rows());
    for (std::size_t i = 0; i < global.size(); ++i) global[i] += update[i];
    const Evaluation after = evaluate(*m, global, d);
    EXPECT_LT(before, 0.6);
    EXPECT_GT(after.accuracy, 0.95) << "model " << static_cast<int>(kind);
    EXPECT_LT(after.loss, 0.3);
  }
}

TEST(FedLearners, SameSeedSameUpdateBitForBit) {
  const Dataset d = blobs(3, 4, 20, 4);
  std::vector<std::uint32_t> rows{1, 5, 9, 13, 17, 21, 25, 29, 33, 37};
  auto m = make_model(ModelKind::mlp, 4, 3, 6);
  std::vector<float> global(m->parameters()), u1(global.size()), u2(global.size()), u3(global.size());
  Rng init(1);
  m->init(global, init);
  TrainScratch scratch;
  LocalTraining cfg;
  Rng a(9), b(9), c(10);
  train_local(*m, cfg, d, rows, global, u1, a, scratch);
  train_local(*m, cfg, d, rows, global, u2, b, scratch);
  train_local(*m, cfg, d, rows, global, u3, c, scratch);
  EXPECT_EQ(u1, u2);
  EXPECT_NE(u1, u3);   // another batch order
}

TEST(FedLearners, ProximalTermPullsTowardsTheGlobalModel) {
  const Dataset d = blobs(4, 6, 40, 6);
  std::vector<std::uint32_t> rows(d.rows());
  std::iota(rows.begin(), rows.end(), 0u);
  auto m = make_model(ModelKind::logreg, 6, 4, 0);
  std::vector<float> global(m->parameters(), 0.0f), plain(global.size()), prox(global.size());
  TrainScratch scratch;
  LocalTraining cfg;
  cfg.epochs = 10;
  Rng a(3), b(3);
  train_local(*m, cfg, d, rows, global, plain, a, scratch);
  cfg.prox_mu = 1.0;
  train_local(*m, cfg, d, rows, global, prox, b, scratch);
  auto norm = [](const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += static_cast<double>(x) * x;
    return std::sqrt(s);
  };
  EXPECT_LT(norm(prox), 0.8 * norm(plain));
}

TEST(FedLearners, LabelFlipTrainsTowardsTheMirroredClass) {
  const Dataset d = blobs(4, 6, 40, 7);
  std::vector<std::uint32_t> rows(d.rows());
  std::iota(rows.begin(), rows.end(), 0u);
  auto m = make_model(ModelKind::logreg, 6, 4, 0);
  std::vector<float> params(m->parameters(), 0.0f), update(params.size());
  TrainScratch scratch;
  LocalTraining cfg;
  cfg.epochs = 5;
  cfg.flip_labels = true;
  Rng rng(1);
  train_local(*m, cfg, d, rows, params, update, rng, scratch);
  for (std::size_t i = 0; i < params.size(); ++i) params[i] += update[i];
  Dataset flipped = d;
  for (int& y : flipped.y) y = d.classes - 1 - y;
  EXPECT_LT(evaluate(*m, params, d).accuracy, 0.1);
  EXPECT_GT(evaluate(*m, params, flipped).accuracy, 0.9);
}
