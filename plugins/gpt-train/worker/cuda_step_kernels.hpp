// The GPU's StepKernels (step_kernels.hpp), built only with CUDA (ORRERY_HAVE_CUDA). This
// header names no CUDA type, so step_kernels.cpp includes it without the toolkit's headers.
#pragma once

#include <memory>
#include <string>

#include "step_kernels.hpp"

namespace orrery::gpt {

// The CUDA kernels on device local_rank % devices, or null with why_none set (the runtime's
// reason) when no device can be used. keep_on_device as make_step_kernels's.
std::unique_ptr<StepKernels> make_cuda_step_kernels(Gpt& model, Precision precision, int local_rank,
                                                    const AdamW* keep_on_device, std::string& why_none);

}  // namespace orrery::gpt
