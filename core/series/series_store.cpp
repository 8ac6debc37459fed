#include "series/series_store.hpp"

#include <limits>
#include <stdexcept>

namespace orrery::series {

Series::Series(std::shared_ptr<std::atomic<std::uint64_t>> generation) : generation_(std::move(generation)) {}

void Series::append(std::span<const std::int64_t> steps, std::span<const double> times,
                    std::span<const double> values) {
  if (steps.size() != times.size() || steps.size() != values.size()) {
    throw std::invalid_argument("Series::append: columns of different lengths");
  }
  if (steps.empty()) return;
  {
    std::unique_lock lock(mutex_);
    columns_.steps.insert(columns_.steps.end(), steps.begin(), steps.end());
    columns_.times.insert(columns_.times.end(), times.begin(), times.end());
    columns_.values.insert(columns_.values.end(), values.begin(), values.end());
  }
  if (generation_) generation_->fetch_add(1, std::memory_order_relaxed);
}

std::size_t Series::size() const {
  std::shared_lock lock(mutex_);
  return columns_.values.size();
}

std::shared_ptr<Series> SeriesStore::get_or_create(const SeriesKey& key) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) return it->second;
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = series_.try_emplace(key, nullptr);
  if (inserted) {
    it->second = std::make_shared<Series>(generation_);
    generation_->fetch_add(1, std::memory_order_relaxed);
  }
  return it->second;
}

std::shared_ptr<Series> SeriesStore::find(const SeriesKey& key) const {
  std::shared_lock lock(mutex_);
  auto it = series_.find(key);
  return it == series_.end() ? nullptr : it->second;
}

std::vector<SeriesKey> SeriesStore::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<SeriesKey> out;
  out.reserve(series_.size());
  for (const auto& [key, _] : series_) out.push_back(key);
  return out;
}

std::vector<SeriesKey> SeriesStore::keys_of_run(std::string_view run_id) const {
  std::shared_lock lock(mutex_);
  std::vector<SeriesKey> out;
  // Keys sort by run_id first, so one run's series are contiguous.
  for (auto it = series_.lower_bound(SeriesKey{std::string(run_id), {}, {}, std::numeric_limits<int>::min()});
       it != series_.end() && it->first.run_id == run_id; ++it) {
    out.push_back(it->first);
  }
  return out;
}

void SeriesStore::remove_run(std::string_view run_id) {
  std::unique_lock lock(mutex_);
  auto first = series_.lower_bound(SeriesKey{std::string(run_id), {}, {}, std::numeric_limits<int>::min()});
  auto last = first;
  while (last != series_.end() && last->first.run_id == run_id) ++last;
  if (first != last) {
    series_.erase(first, last);
    generation_->fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t SeriesStore::generation() const { return generation_->load(std::memory_order_relaxed); }

}  // namespace orrery::series
