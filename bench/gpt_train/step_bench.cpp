// Training-step throughput of gpt-train's kernels at any model shape, GPT-2 124M's by default
// (vocab 50257, context 1024: no tokenizer is trained, the token ids are random), on the CPU
// or the GPU, one process and no MPI: the calls the worker makes for one rank's step
// (StepKernels::forward and backward, then replicated_update: norm, clipping, AdamW, the new
// parameters to the kernels; on the GPU of a one-rank run all on the device). The first step warms up and is not timed. Prints the phases'
// mean times, tokens/s and MFU against the matrix-product peak the kernels measure, the
// figure the worker's summary line reports.
//   orrery-gpt-step-bench --device=cuda --precision=bf16 --batch_size=8 --steps=10
#include <cblas.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include <orrery/runtime.hpp>

#include "gpt/adamw.hpp"
#include "gpt/model.hpp"
#include "gpt/train_options.hpp"
#include "step_kernels.hpp"

namespace {

using namespace orrery::gpt;

int run(int argc, char** argv) {
  CLI::App app{"gpt-train training-step throughput"};
  std::string shape = "gpt2", device = "cuda", precision = "fp32";
  int batch = 8, steps = 10, threads = 1, context = 0;
  bool host_update = false;
  app.add_option("--preset", shape, "model preset (test, mini, small, gpt2)");
  app.add_option("--context", context, "override the preset's context");
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--precision", precision, "fp32 or bf16 (GPU)")->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--batch_size", batch, "sequences a step")->check(CLI::Range(1, 1024));
  app.add_option("--steps", steps, "timed steps")->check(CLI::Range(1, 100000));
  app.add_option("--threads", threads, "OpenMP/OpenBLAS threads (CPU kernels, host optimizer)")->check(CLI::Range(1, 512));
  app.add_flag("--host_update", host_update,
               "GPU: gradients to the host and AdamW there, as a rank of a multi-rank run does");
  CLI11_PARSE(app, argc, argv);

  TrainOptions o;
  o.model = preset(shape);
  if (context > 0) o.model.context = context;
  o.model.validate();
  o.device = device == "cuda" ? DeviceChoice::cuda : DeviceChoice::cpu;
  o.precision = precision == "bf16" ? Precision::bf16 : Precision::fp32;
  o.threads = threads;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  const ModelConfig& mc = o.model;
  Gpt model(mc);
  model.init_weights(1234);
  AdamW opt(AdamWConfig{}, model.params().size());
  // As the worker's one rank: GPU kernels keep the optimizer on the device (--host_update: not).
  const auto kernels = make_step_kernels(o, model, 0, host_update ? nullptr : &opt);
  const double peak = kernels->measure_peak_flops();
  std::printf("%s\n%zu parameters, batch %d x context %d; %s peak %.1f GFLOP/s\n", kernels->description().c_str(),
              model.params().size(), batch, mc.context, kernels->peak_name(), peak / 1e9);

  std::mt19937 rng(7);
  std::uniform_int_distribution<int> token(0, mc.vocab - 1);
  const std::size_t n = static_cast<std::size_t>(batch) * mc.context;
  std::vector<int> inputs(n), targets(n);
  const float loss_scale = 1.0f / static_cast<float>(n);
  double forward_s = 0, backward_s = 0, update_s = 0;
  float loss = 0;
  for (int step = 0; step <= steps; ++step) {
    for (std::size_t i = 0; i < n; ++i) {
      inputs[i] = token(rng);
      targets[i] = token(rng);
    }
    const double t0 = orrery::now();
    loss = kernels->forward(inputs.data(), targets.data(), batch, mc.context);  // the loss comes back: synchronized
    const double t1 = orrery::now();
    kernels->backward(loss_scale, [](std::size_t, std::size_t) {});
    const double t2 = orrery::now();
    kernels->replicated_update(model, opt, 1e-4f, 1.0f);
    const double t3 = orrery::now();
    if (step == 0) continue;
    forward_s += t1 - t0;
    backward_s += t2 - t1;
    update_s += t3 - t2;
  }
  const double step_s = (forward_s + backward_s + update_s) / steps;
  const double tps = static_cast<double>(n) / step_s;
  std::printf("loss %.4f; mean of %d steps: forward %.2f ms, backward %.2f ms, update %.2f ms, step %.2f ms\n", loss,
              steps, 1e3 * forward_s / steps, 1e3 * backward_s / steps, 1e3 * update_s / steps, 1e3 * step_s);
  std::printf("summary: %.0f tokens/s, MFU %.3f of the measured %s (%.1f TFLOP/s model flops)\n", tps,
              tps * training_flops_per_token(mc) / peak, kernels->peak_name(),
              tps * training_flops_per_token(mc) / 1e12);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-gpt-step-bench: %s\n", e.what());
    return 1;
  }
}
