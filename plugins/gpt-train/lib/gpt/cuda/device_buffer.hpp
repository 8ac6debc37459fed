// An owned array in GPU memory: allocated on construction, freed on destruction, moved not
// copied; filled from and read back to host vectors (blocking copies).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gpt/cuda/cuda_check.hpp"

namespace orrery::gpt::cuda {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count_ > 0) check_cuda(cudaMalloc(reinterpret_cast<void**>(&data_), count_ * sizeof(T)), "cudaMalloc");
  }
  // A buffer holding a copy of host.
  explicit DeviceBuffer(std::span<const T> host) : DeviceBuffer(host.size()) { upload(host); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }

  void upload(std::span<const T> host) {
    if (host.size() != count_)
      throw std::invalid_argument("DeviceBuffer::upload: " + std::to_string(host.size()) + " values into a buffer of " +
                                  std::to_string(count_));
    if (count_ > 0) check_cuda(cudaMemcpy(data_, host.data(), count_ * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  std::vector<T> download() const {
    std::vector<T> host(count_);
    download(host);
    return host;
  }
  void download(std::span<T> host) const {
    if (host.size() != count_)
      throw std::invalid_argument("DeviceBuffer::download: " + std::to_string(count_) + " values into " +
                                  std::to_string(host.size()));
    if (count_ > 0) check_cuda(cudaMemcpy(host.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost), "download");
  }
  void zero() {
    if (count_ > 0) check_cuda(cudaMemset(data_, 0, count_ * sizeof(T)), "cudaMemset");
  }

 private:
  // cudaFree's status is dropped: a destructor must not throw, and a failing free means the
  // context is already lost, which the next checked call reports.
  void release() noexcept {
    if (data_) static_cast<void>(cudaFree(data_));
    data_ = nullptr;
    count_ = 0;
  }

  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace orrery::gpt::cuda
