#include "message_size_table.hpp"

#include "runfiles/run_h5_reader.hpp"

#include <algorithm>
#include <array>

namespace orrery::kinds::allreduce {

namespace {

// Fills one field of the table from a metric series, if the run has it yet.
template <class Field>
void fill(const runfiles::RunH5Reader& reader, const std::vector<runfiles::SeriesKey>& keys, const std::string& name,
          MessageSizeTable& table, Field field) {
  const runfiles::SeriesKey key{"metrics", 0, name};
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) return;
  const runfiles::SeriesData data = reader.read_series(key);
  for (std::size_t i = 0; i < data.steps.size() && i < data.values.size(); ++i) {
    if (data.steps[i] <= 0) continue;                 // not a message size: ignore rather than mislabel
    table.by_bytes[data.steps[i]].*field = data.values[i];
  }
}

}  // namespace

MessageSizeTable read_message_size_table(const std::string& run_id, const std::filesystem::path& run_h5) {
  MessageSizeTable table;
  table.run_id = run_id;
  try {
    runfiles::RunH5Reader reader(run_h5);
    const auto keys = reader.list_series();
    fill(reader, keys, "latency_us", table, &SizeFigures::latency_us);
    fill(reader, keys, "busbw_GBps", table, &SizeFigures::busbw_GBps);
  } catch (const std::exception& e) {
    table.error = e.what();
  }
  return table;
}

std::string format_bytes(std::int64_t bytes) {
  static constexpr std::array<const char*, 5> units{"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  double value = static_cast<double>(bytes);
  while (value >= 1024 && unit + 1 < units.size() && static_cast<std::int64_t>(value) % 1024 == 0) {
    value /= 1024;
    ++unit;
  }
  return std::to_string(static_cast<std::int64_t>(value)) + " " + units[unit];
}

}  // namespace orrery::kinds::allreduce
