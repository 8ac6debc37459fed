// The figures of one allreduce-bench run by message size, read from its run.h5.
// Qt-free apart from nothing: plain data, so it is read on a worker thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace orrery::kinds::allreduce {

struct SizeFigures {
  double latency_us = 0;
  double busbw_GBps = 0;
};

struct MessageSizeTable {
  std::string run_id;
  std::map<std::int64_t, SizeFigures> by_bytes;   // message size in bytes → figures (rank 0's)
  std::string error;                              // why the file could not be read; empty when fine
};

// Reads rank 0's latency_us and busbw_GBps series (their step is the message size in bytes).
MessageSizeTable read_message_size_table(const std::string& run_id, const std::filesystem::path& run_h5);

// "8 B", "4 KiB", "64 MiB".
std::string format_bytes(std::int64_t bytes);

}  // namespace orrery::kinds::allreduce
