// orrery-gpt-golden OUT.h5 CHECKPOINT.h5: the C++ side of the golden test against PyTorch
// (tests/e2e/test_gpt_train_golden.py). Builds a tiny model with fixed weights, saves them
// as a gpt-train checkpoint (which the test loads into python/gpt_reference.py), and writes
// to OUT.h5 the batch, the logits, the loss and every parameter's gradient, then the losses,
// learning rates and gradient norms of 10 AdamW steps on that batch.

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "gpt/adamw.hpp"
#include "gpt/checkpoint.hpp"
#include "gpt/h5_file.hpp"
#include "gpt/model.hpp"
#include "gpt/rng.hpp"

namespace {

using namespace orrery::gpt;

constexpr int kB = 3, kT = 12, kSteps = 10;
constexpr double kClip = 1.0;

std::vector<int> batch(Rng& rng, int vocab) {
  std::vector<int> t(static_cast<std::size_t>(kB) * (kT + 1));
  for (auto& x : t) x = static_cast<int>(rng.next() % static_cast<std::uint64_t>(vocab));
  return t;
}

// The model sees rows[:, :T] and predicts rows[:, 1:].
void split(const std::vector<int>& rows, std::vector<int>& inputs, std::vector<int>& targets) {
  inputs.resize(static_cast<std::size_t>(kB) * kT);
  targets.resize(inputs.size());
  for (int b = 0; b < kB; ++b)
    for (int t = 0; t < kT; ++t) {
      inputs[static_cast<std::size_t>(b * kT + t)] = rows[static_cast<std::size_t>(b * (kT + 1) + t)];
      targets[static_cast<std::size_t>(b * kT + t)] = rows[static_cast<std::size_t>(b * (kT + 1) + t + 1)];
    }
}

std::vector<std::int64_t> widen(const std::vector<int>& v) { return {v.begin(), v.end()}; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: orrery-gpt-golden OUT.h5 CHECKPOINT.h5\n", stderr);
    return 2;
  }
  try {
    const ModelConfig cfg{64, 16, 2, 2, 32};
    Gpt model(cfg);
    model.init_weights(1234);
    // Weights ten times GPT-2's initial scale, so pre-activations are of order 1 (at 0.02 the
    // GELU and softmax work near 0, where a wrong variant, e.g. erf for tanh GELU, differs
    // by less than the tolerance); non-trivial norms and biases, so their uses are checked too.
    Rng perturb(99);
    for (const auto& t : model.tensors())
      for (std::size_t i = 0; i < t.size; ++i)
        model.params()[t.offset + i] += (t.shape.size() == 1 ? 0.1f : 0.2f) * perturb.normal();

    const AdamWConfig acfg{0.9f, 0.95f, 1e-8f, 0.1f};
    AdamW opt(acfg, model.params().size());
    TrainingState state;
    state.seed = 1234;
    state.config_json = R"({"purpose": "golden test"})";
    save_checkpoint(argv[2], model, opt, state);

    Rng data(7);
    const auto rows = batch(data, cfg.vocab);
    std::vector<int> inputs, targets;
    split(rows, inputs, targets);
    const float loss = model.forward(inputs.data(), targets.data(), kB, kT);
    model.zero_grad();
    model.backward(1.0f / (kB * kT));

    const auto out = orrery::gpt::h5::create_file(argv[1]);
    const hid_t root = out.get();
    orrery::gpt::h5::write_ints(root, "tokens", {kB, kT + 1}, widen(rows).data());
    orrery::gpt::h5::write_floats(root, "logits", {kB, kT, cfg.vocab}, model.logits());
    orrery::gpt::h5::write_floats(root, "loss", {1}, &loss);
    {
      const auto g = orrery::gpt::h5::create_group(root, "grads");
      for (const auto& t : model.tensors())
        orrery::gpt::h5::write_floats(g.get(), t.name, t.shape, model.grads().data() + t.offset);
    }

    const LrSchedule schedule{1e-2f, 1e-3f, 3, kSteps};
    std::vector<std::int64_t> step_tokens;
    std::vector<float> losses, lrs, norms;
    for (int s = 0; s < kSteps; ++s) {
      // The same batch every step: the model memorises it, so the losses fall and their
      // agreement means something.
      const auto& r = rows;
      step_tokens.insert(step_tokens.end(), r.begin(), r.end());
      split(r, inputs, targets);
      losses.push_back(model.forward(inputs.data(), targets.data(), kB, kT));
      model.zero_grad();
      model.backward(1.0f / (kB * kT));
      const double norm = gradient_norm(model.grads());
      clip_gradients(model.grads(), norm, kClip);
      const float lr = schedule.at(s);
      opt.step(model.tensors(), model.params(), model.grads(), lr);
      lrs.push_back(lr);
      norms.push_back(static_cast<float>(norm));
    }
    const auto t = orrery::gpt::h5::create_group(root, "training");
    orrery::gpt::h5::write_ints(t.get(), "tokens", {kSteps, kB, kT + 1}, step_tokens.data());
    orrery::gpt::h5::write_floats(t.get(), "losses", {kSteps}, losses.data());
    orrery::gpt::h5::write_floats(t.get(), "lr", {kSteps}, lrs.data());
    orrery::gpt::h5::write_floats(t.get(), "grad_norm", {kSteps}, norms.data());
    orrery::gpt::h5::set_attr(t.get(), "weight_decay_x1000", static_cast<std::int64_t>(acfg.weight_decay * 1000 + 0.5f));
    orrery::gpt::h5::set_attr(t.get(), "clip_x1000", static_cast<std::int64_t>(kClip * 1000));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-gpt-golden: %s\n", e.what());
    return 1;
  }
  return 0;
}
