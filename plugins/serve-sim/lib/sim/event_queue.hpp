// The simulator's future events: a binary heap ordered by time, ties broken by the order
// in which events were scheduled (a sequence number), so a run is the same on every machine
// and every standard library (std::priority_queue alone leaves equal times in any order).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace orrery::sim {

template <class Payload>
class EventQueue {
 public:
  struct Entry {
    double time = 0;
    std::uint64_t seq = 0;
    Payload payload{};
  };

  void push(double time, Payload payload) {
    heap_.push_back({time, next_seq_++, std::move(payload)});
    sift_up(heap_.size() - 1);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Entry& top() const { return heap_.front(); }
  // Removes and returns the earliest event (the earliest scheduled among equal times).
  Entry pop() {
    Entry out = std::move(heap_.front());
    heap_.front() = std::move(heap_.back());
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return out;
  }
  std::uint64_t scheduled() const { return next_seq_; }

 private:
  static bool before(const Entry& a, const Entry& b) { return a.time < b.time || (a.time == b.time && a.seq < b.seq); }
  void sift_up(std::size_t i) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(heap_[i], heap_[parent])) return;
      std::swap(heap_[i], heap_[parent]);
      i = parent;
    }
  }
  void sift_down(std::size_t i) {
    for (;;) {
      const std::size_t l = 2 * i + 1, r = l + 1;
      std::size_t best = i;
      if (l < heap_.size() && before(heap_[l], heap_[best])) best = l;
      if (r < heap_.size() && before(heap_[r], heap_[best])) best = r;
      if (best == i) return;
      std::swap(heap_[i], heap_[best]);
      i = best;
    }
  }

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace orrery::sim
