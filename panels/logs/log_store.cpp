#include "logs/log_store.hpp"

#include <algorithm>

namespace orrery::panels {

void LogStore::set_cap(int cap_per_rank) {
  cap_ = std::max(1, cap_per_rank);
  for (auto& [rank, lines] : lines_) trim(rank);
}

void LogStore::clear() {
  lines_.clear();
  dropped_.clear();
}

void LogStore::append(int rank, const QStringList& lines) {
  auto& kept = lines_[rank];
  for (const auto& text : lines) kept.push_back(Line{next_seq_++, text});
  trim(rank);
}

void LogStore::trim(int rank) {
  auto& kept = lines_[rank];
  const auto over = static_cast<qint64>(kept.size()) - cap_;
  if (over <= 0) return;
  kept.erase(kept.begin(), kept.begin() + over);
  dropped_[rank] += over;
}

std::vector<int> LogStore::ranks() const {
  std::vector<int> out;
  for (const auto& [rank, lines] : lines_) out.push_back(rank);
  return out;
}

int LogStore::size(int rank) const {
  auto it = lines_.find(rank);
  return it == lines_.end() ? 0 : static_cast<int>(it->second.size());
}

qint64 LogStore::dropped(int rank) const {
  auto it = dropped_.find(rank);
  return it == dropped_.end() ? 0 : it->second;
}

qint64 LogStore::total_dropped() const {
  qint64 n = 0;
  for (const auto& [rank, count] : dropped_) n += count;
  return n;
}

QStringList LogStore::lines_since(quint64 after_seq, std::optional<int> rank) const {
  auto newer = [after_seq](const std::deque<Line>& lines) {
    return std::upper_bound(lines.begin(), lines.end(), after_seq, [](quint64 s, const Line& l) { return s < l.seq; });
  };
  QStringList out;
  if (rank) {
    auto it = lines_.find(*rank);
    if (it == lines_.end()) return out;
    for (auto l = newer(it->second); l != it->second.end(); ++l) out << l->text;
    return out;
  }
  // k-way merge by sequence number; the number of ranks is small.
  struct Cursor {
    int rank;
    std::deque<Line>::const_iterator at, end;
  };
  std::vector<Cursor> cursors;
  for (const auto& [r, lines] : lines_) cursors.push_back({r, newer(lines), lines.end()});
  const QString prefix = QStringLiteral("[%1] ");
  for (;;) {
    Cursor* next = nullptr;
    for (auto& c : cursors)
      if (c.at != c.end && (!next || c.at->seq < next->at->seq)) next = &c;
    if (!next) return out;
    out << prefix.arg(next->rank) + next->at->text;
    ++next->at;
  }
}

}  // namespace orrery::panels
