#include "cuda_step_kernels.hpp"

#include <cstdio>
#include <optional>

#include "gpt/cuda/cuda_device.hpp"
#include "gpt/cuda/device_optimizer.hpp"
#include "gpt/cuda/gemm_peak.hpp"
#include "gpt/cuda/pinned_host.hpp"
#include "gpt/cuda/model.hpp"

namespace orrery::gpt {

namespace {

cuda::MatmulPrecision matmul_precision(Precision p) {
  return p == Precision::bf16 ? cuda::MatmulPrecision::bf16 : cuda::MatmulPrecision::fp32;
}

class CudaStepKernels final : public StepKernels {
 public:
  CudaStepKernels(Gpt& host, const cuda::CudaDeviceInfo& device, Precision precision, const AdamW* keep_on_device)
      : host_(host), device_(device.index), precision_(matmul_precision(precision)), gpu_(host, precision_) {
    std::string where = "AdamW on the device";
    if (keep_on_device) {
      optimizer_.emplace(*keep_on_device);
    } else {
      // Every step copies the gradients down and the parameters up: pinned, they move by DMA.
      pinned_grads_.emplace(host.grads().data(), host.grads().size() * sizeof(float));
      pinned_params_.emplace(host.params().data(), host.params().size() * sizeof(float));
      where = "gradients all-reduced and AdamW on the host, ";
      where += pinned_grads_->pinned() && pinned_params_->pinned()
                   ? "pinned host arrays"
                   : "pageable host arrays (cudaHostRegister: " +
                         (pinned_grads_->pinned() ? pinned_params_->why_not() : pinned_grads_->why_not()) + ")";
    }
    char line[768];
    std::snprintf(line, sizeof line, "GPU %d: %s, %.1f GiB: CUDA kernels (%s matrix products; %s)", device.index,
                  device.name.c_str(), static_cast<double>(device.memory_bytes) / (1024.0 * 1024.0 * 1024.0),
                  precision == Precision::bf16 ? "bf16, fp32 accumulation and master weights" : "fp32", where.c_str());
    description_ = line;
  }

  const std::string& description() const override { return description_; }
  int gpu() const override { return device_; }
  const char* peak_name() const override {
    return precision_ == cuda::MatmulPrecision::bf16 ? "cuBLAS bf16 gemm" : "cuBLAS sgemm";
  }
  double measure_peak_flops() override { return cuda::measured_gemm_flops(cuda::CublasHandle(precision_)); }

  float forward(const int* tokens, const int* targets, int B, int T) override {
    return gpu_.forward(tokens, targets, B, T);
  }
  void backward(float loss_scale, const GradientsReady& ready) override {
    gpu_.zero_grad();
    // With the optimizer here the host's gradients are not read: they are not copied.
    gpu_.backward_to_host(loss_scale, optimizer_ ? std::span<float>{} : std::span<float>(host_.grads()), ready);
    // The gradients are final when this returns, so the backward span ends when backward does.
    if (optimizer_) gpu_.synchronize();
  }
  void params_changed() override { gpu_.upload_params(host_.params()); }
  double replicated_update(Gpt& model, AdamW& opt, float lr, float grad_clip) override {
    if (!optimizer_) return StepKernels::replicated_update(model, opt, lr, grad_clip);
    return optimizer_->step(gpu_, lr, grad_clip);
  }
  void sync_to_host(Gpt& model, AdamW& opt) override {
    if (!optimizer_) return;
    gpu_.download_params(model.params());
    optimizer_->download(opt);
  }

 private:
  Gpt& host_;
  int device_;
  cuda::MatmulPrecision precision_;
  cuda::GptCuda gpu_;
  std::optional<cuda::DeviceAdamW> optimizer_;                  // with keep_on_device
  std::optional<cuda::PinnedHostRange> pinned_grads_, pinned_params_;  // without
  std::string description_;
};

}  // namespace

std::unique_ptr<StepKernels> make_cuda_step_kernels(Gpt& model, Precision precision, int local_rank,
                                                    const AdamW* keep_on_device, std::string& why_none) {
  const cuda::CudaAvailability found = cuda::probe_cuda();
  if (found.devices == 0) {
    why_none = found.reason;
    return nullptr;
  }
  const cuda::CudaDeviceInfo device = cuda::use_cuda_device(local_rank % found.devices);
  return std::make_unique<CudaStepKernels>(model, device, precision, keep_on_device);
}

}  // namespace orrery::gpt
