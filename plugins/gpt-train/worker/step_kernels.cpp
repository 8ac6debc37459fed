#include "step_kernels.hpp"

#include <cblas.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include <orrery/runtime.hpp>

#ifdef ORRERY_HAVE_CUDA
#include "cuda_step_kernels.hpp"
#endif

namespace orrery::gpt {

namespace {

class CpuStepKernels final : public StepKernels {
 public:
  CpuStepKernels(Gpt& model, std::string description) : model_(model), description_(std::move(description)) {}

  const std::string& description() const override { return description_; }
  int gpu() const override { return -1; }
  const char* peak_name() const override { return "sgemm"; }
  // The machine's sgemm rate on this rank's threads (best of 3 products of 1024^3).
  double measure_peak_flops() override {
    const int n = 1024;
    std::vector<float> a(static_cast<std::size_t>(n) * n, 0.5f), b(a.size(), 0.25f), c(a.size());
    double best = 1e30;
    for (int rep = 0; rep < 4; ++rep) {
      const double t0 = orrery::now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(),
                  n);
      if (rep > 0) best = std::min(best, orrery::now() - t0);  // the first warms the threads up
    }
    return 2.0 * n * n * static_cast<double>(n) / best;
  }

  float forward(const int* tokens, const int* targets, int B, int T) override {
    return model_.forward(tokens, targets, B, T);
  }
  void backward(float loss_scale, const GradientsReady& ready) override {
    model_.zero_grad();
    model_.backward(loss_scale, ready);
  }
  void params_changed() override {}  // the CPU kernels compute on the model's own parameters

 private:
  Gpt& model_;
  std::string description_;
};

}  // namespace

double StepKernels::replicated_update(Gpt& model, AdamW& opt, float lr, float grad_clip) {
  const double norm = gradient_norm(model.grads());
  clip_gradients(model.grads(), norm, grad_clip);
  opt.step(model.tensors(), model.params(), model.grads(), lr);
  params_changed();
  return norm;
}

std::unique_ptr<StepKernels> make_step_kernels(const TrainOptions& o, Gpt& model, int local_rank,
                                               const AdamW* keep_on_device) {
  if (o.device == DeviceChoice::cpu) return std::make_unique<CpuStepKernels>(model, "device=cpu: CPU kernels");
#ifdef ORRERY_HAVE_CUDA
  std::string why_none;
  if (auto gpu = make_cuda_step_kernels(model, o.precision, local_rank, keep_on_device, why_none)) return gpu;
  if (o.device == DeviceChoice::cuda)
    throw std::invalid_argument("device=cuda: no usable CUDA device (" + why_none + ")");
  if (o.precision == Precision::bf16)
    throw std::invalid_argument("precision=bf16 runs only on the CUDA kernels, and there is no usable CUDA device (" +
                                why_none + ")");
  return std::make_unique<CpuStepKernels>(model, "no CUDA device: CPU kernels (" + why_none + ")");
#else
  static_cast<void>(local_rank);
  static_cast<void>(keep_on_device);
  if (o.device == DeviceChoice::cuda)
    throw std::invalid_argument(
        "device=cuda: this build has no CUDA kernels (configured without nvcc or with ORRERY_WITH_CUDA=OFF)");
  if (o.precision == Precision::bf16)
    throw std::invalid_argument("precision=bf16 runs only on the CUDA kernels, and this build has none");
  return std::make_unique<CpuStepKernels>(model, "built without CUDA: CPU kernels");
#endif
}

}  // namespace orrery::gpt
