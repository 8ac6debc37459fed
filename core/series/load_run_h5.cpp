#include "series/load_run_h5.hpp"

#include <algorithm>
#include <span>

namespace orrery::series {

namespace {

// The store holds `held` points; true when they equal the file's first `held` points.
// Checking the last held point is enough in practice and costs O(1): a store that took a
// wrong turn (feed points the file never got) disagrees at its end.
bool store_is_prefix(const Series& series, const runfiles::SeriesData& file, std::size_t held) {
  if (held == 0) return true;
  return series.read([&](const Columns& c) {
    const std::size_t i = held - 1;
    if (c.values.size() < held) return false;
    const bool same_value = c.values[i] == file.values[i] || (c.values[i] != c.values[i] && file.values[i] != file.values[i]);
    return c.steps[i] == file.steps[i] && c.times[i] == file.times[i] && same_value;
  });
}

}  // namespace

SeriesKey store_key(const std::string& run_id, const runfiles::SeriesKey& k) { return {run_id, k.group, k.name, k.rank}; }

runfiles::SeriesKey file_key(const SeriesKey& k) { return {k.group, k.rank, k.name}; }

LoadReport load_run_h5(SeriesStore& store, const std::string& run_id, const runfiles::RunH5Reader& reader,
                       const SeriesFilter& filter) {
  LoadReport report;
  for (const auto& key : reader.list_series()) {
    if (filter && !filter(key)) continue;
    ++report.series;
    const auto file = reader.read_series(key);
    const auto skey = store_key(run_id, key);
    auto series = store.find(skey);
    const std::size_t held = series ? series->size() : 0;
    if (held > file.values.size()) {
      report.ahead.push_back(skey);
      continue;
    }
    if (series && !store_is_prefix(*series, file, held)) {
      report.differ.push_back(skey);
      continue;
    }
    if (held == file.values.size() && series) continue;
    if (!series) series = store.get_or_create(skey);   // an empty file series still appears in the store
    const std::size_t n = file.values.size() - held;
    series->append(std::span(file.steps).subspan(held, n), std::span(file.times).subspan(held, n),
                   std::span(file.values).subspan(held, n));
    report.points_added += n;
  }
  return report;
}

LoadReport load_run_h5(SeriesStore& store, const std::string& run_id, const std::filesystem::path& run_h5,
                       const SeriesFilter& filter) {
  runfiles::RunH5Reader reader(run_h5);
  return load_run_h5(store, run_id, reader, filter);
}

}  // namespace orrery::series
