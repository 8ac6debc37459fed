#include "fed/local_training.hpp"

#include <algorithm>
#include <cmath>

namespace orrery::fed {

LocalResult train_local(Model& model, const LocalTraining& cfg, const Dataset& train,
                        std::span<const std::uint32_t> rows, std::span<const float> global, std::span<float> update,
                        Rng& rng, TrainScratch& s) {
  const std::size_t np = model.parameters(), f = train.features;
  s.local.assign(global.begin(), global.end());
  s.grad.resize(np);
  s.order.assign(rows.begin(), rows.end());
  const std::size_t batch = std::min(cfg.batch_size, rows.size());
  s.x.resize(batch * f);
  s.y.resize(batch);
  const auto lr = static_cast<float>(cfg.lr), mu = static_cast<float>(cfg.prox_mu);

  LocalResult out;
  std::int64_t steps_left = cfg.steps;   // counts down only in steps mode
  for (int e = 0; cfg.steps > 0 ? steps_left > 0 : e < cfg.epochs; ++e) {
    rng.shuffle(std::span(s.order));
    double epoch_loss = 0;
    std::size_t batches = 0;
    for (std::size_t at = 0; at < s.order.size() && (cfg.steps == 0 || steps_left > 0); at += batch, --steps_left) {
      const std::size_t b = std::min(batch, s.order.size() - at);
      for (std::size_t i = 0; i < b; ++i) {
        const std::uint32_t r = s.order[at + i];
        const auto row = train.row(r);
        std::copy(row.begin(), row.end(), s.x.begin() + static_cast<std::ptrdiff_t>(i * f));
        const int label = train.y[r];
        s.y[i] = cfg.flip_labels ? train.classes - 1 - label : label;
      }
      epoch_loss += model.loss_and_grad(s.local, std::span(s.x).first(b * f), std::span(s.y).first(b), s.grad);
      ++batches;
      if (mu != 0.0f)
        for (std::size_t i = 0; i < np; ++i) s.grad[i] += mu * (s.local[i] - global[i]);
      for (std::size_t i = 0; i < np; ++i) s.local[i] -= lr * s.grad[i];
      out.samples_seen += b;
    }
    out.loss = epoch_loss / static_cast<double>(batches);
  }
  for (std::size_t i = 0; i < np; ++i) update[i] = s.local[i] - global[i];
  return out;
}

Evaluation evaluate(Model& model, std::span<const float> params, const Dataset& data) {
  std::vector<float> z(static_cast<std::size_t>(data.classes));
  double loss = 0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    model.logits(params, data.row(i), z);
    const auto best = static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
    if (best == data.y[i]) ++correct;
    loss += softmax_xent_backward(z, data.y[i]);
  }
  const auto n = static_cast<double>(data.rows());
  return {loss / n, static_cast<double>(correct) / n};
}

}  // namespace orrery::fed
