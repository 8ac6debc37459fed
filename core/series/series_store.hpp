// Metric series held in memory for drawing: columnar, append-only, shared
// between the one thread that fills them (run.h5 history, then the live feed)
// and the threads that reduce them for the screen. Qt-free, so the CLI's plot
// export and the benchmarks use the same store as the workbench.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::series {

struct Columns {
  std::vector<std::int64_t> steps;
  std::vector<double> times;    // wall time, seconds since the Unix epoch
  std::vector<double> values;
};

// One series of one rank of one run; group is "metrics" or "system" as in run.h5.
struct SeriesKey {
  std::string run_id;
  std::string group;
  std::string name;
  int rank = 0;
  auto operator<=>(const SeriesKey&) const = default;
};

class Series {
 public:
  // generation: the store's change counter, bumped by every append (may be null).
  explicit Series(std::shared_ptr<std::atomic<std::uint64_t>> generation = {});
  // The three spans have the same length.
  void append(std::span<const std::int64_t> steps, std::span<const double> times, std::span<const double> values);
  std::size_t size() const;

  // Runs fn(const Columns&) under a shared lock; fn must not keep references past its return.
  template <class Fn>
  auto read(Fn&& fn) const {
    std::shared_lock lock(mutex_);
    return fn(columns_);
  }

 private:
  mutable std::shared_mutex mutex_;
  Columns columns_;
  std::shared_ptr<std::atomic<std::uint64_t>> generation_;
};

class SeriesStore {
 public:
  std::shared_ptr<Series> get_or_create(const SeriesKey& key);
  std::shared_ptr<Series> find(const SeriesKey& key) const;     // null when absent
  std::vector<SeriesKey> keys() const;                          // sorted
  std::vector<SeriesKey> keys_of_run(std::string_view run_id) const;
  void remove_run(std::string_view run_id);
  // Bumped by every append and every new or removed series: a cheap "anything new?" test.
  std::uint64_t generation() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<SeriesKey, std::shared_ptr<Series>> series_;
  std::shared_ptr<std::atomic<std::uint64_t>> generation_ = std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace orrery::series
