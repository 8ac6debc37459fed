// Host memory page-locked in place (cudaHostRegister) for as long as this object lives, so
// the GPU's copies to and from it run by DMA at the link's speed: from pageable memory the
// runtime stages every copy through a pinned buffer of its own. Used for the CPU model's
// gradients and parameters, which a multi-rank GPU run copies every step; the arrays must
// keep their address while pinned (the model's vectors never grow or move).
#pragma once

#include <cstddef>
#include <string>

namespace orrery::gpt::cuda {

class PinnedHostRange {
 public:
  // Pins [data, data + bytes). Where the runtime refuses (a locked-memory limit, say) the
  // range stays pageable, copies still work, and why_not() says why.
  PinnedHostRange(void* data, std::size_t bytes);
  PinnedHostRange(const PinnedHostRange&) = delete;
  PinnedHostRange& operator=(const PinnedHostRange&) = delete;
  ~PinnedHostRange();
  bool pinned() const { return pinned_; }
  const std::string& why_not() const { return why_not_; }

 private:
  void* data_ = nullptr;
  bool pinned_ = false;
  std::string why_not_;
};

}  // namespace orrery::gpt::cuda
