// The lines the logs panel holds: per rank, the last `cap` lines (older ones
// are dropped and counted, so memory stays bounded however long a run logs).
// Every line gets a sequence number on arrival; the "all ranks" view merges
// the ranks by it, which is arrival order.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

namespace orrery::panels {

class LogStore {
 public:
  static constexpr int kDefaultCap = 20'000;
  explicit LogStore(int cap_per_rank = kDefaultCap) : cap_(cap_per_rank) {}

  void set_cap(int cap_per_rank);   // drops lines at once if the store holds more
  int cap() const { return cap_; }
  void clear();

  void append(int rank, const QStringList& lines);
  std::vector<int> ranks() const;
  int size(int rank) const;
  qint64 dropped(int rank) const;
  qint64 total_dropped() const;
  quint64 last_seq() const { return next_seq_ - 1; }

  // Lines with a sequence number above `after_seq`, of one rank or of all
  // (merged in arrival order, each prefixed "[rank] ").
  QStringList lines_since(quint64 after_seq, std::optional<int> rank) const;

 private:
  struct Line {
    quint64 seq;
    QString text;
  };
  void trim(int rank);

  int cap_;
  quint64 next_seq_ = 1;
  std::map<int, std::deque<Line>> lines_;
  std::map<int, qint64> dropped_;
};

}  // namespace orrery::panels
