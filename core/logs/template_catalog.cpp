#include "logs/template_catalog.hpp"

#include <algorithm>

namespace orrery::logs {

namespace {

// Index of `v` in the sorted `values`, inserted there (with `fill` at the same index of
// the parallel `column`) when absent.
template <typename T>
std::size_t find_or_insert(std::vector<int>& values, int v, std::vector<T>& column, T fill) {
  auto it = std::lower_bound(values.begin(), values.end(), v);
  const auto at = static_cast<std::size_t>(it - values.begin());
  if (it == values.end() || *it != v) {
    values.insert(it, v);
    column.insert(column.begin() + static_cast<std::ptrdiff_t>(at), fill);
  }
  return at;
}

}  // namespace

TemplateCatalog::TemplateCatalog(DrainOptions options, std::size_t lines_kept_per_template)
    : drain_(options), kept_(lines_kept_per_template) {}

Drain::TemplateId TemplateCatalog::add(int rank, std::string_view line, double time) {
  const std::size_t r = find_or_insert<std::uint64_t>(ranks_, rank, rank_lines_, 0);
  const std::uint64_t line_in_rank = rank_lines_[r]++;

  const Drain::TemplateId id = drain_.add(line);
  if (id == facts_.size()) {
    facts_.emplace_back();
    facts_.back().first_time = time;
    facts_.back().first_index = lines_;
  }
  TemplateFacts& f = facts_[id];
  ++f.lines;
  find_or_insert<std::uint64_t>(f.ranks, rank, f.first_rank_line, line_in_rank);
  f.last_time = time;
  f.last_index = lines_;
  if (kept_ > 0) {
    if (f.recent.size() == kept_) f.recent.pop_front();
    f.recent.push_back({rank, lines_, time, std::string(line)});
  }
  ++lines_;
  return id;
}

std::uint64_t TemplateCatalog::rank_lines(int rank) const {
  auto it = std::lower_bound(ranks_.begin(), ranks_.end(), rank);
  return it != ranks_.end() && *it == rank ? rank_lines_[static_cast<std::size_t>(it - ranks_.begin())] : 0;
}

bool TemplateCatalog::on_some_ranks_only(Drain::TemplateId id) const {
  return ranks_.size() > 1 && facts_.at(id).ranks.size() < ranks_.size();
}

bool TemplateCatalog::appeared_late(Drain::TemplateId id) const {
  const TemplateFacts& f = facts_.at(id);
  for (std::size_t i = 0; i < f.ranks.size(); ++i) {
    const std::uint64_t logged = rank_lines(f.ranks[i]);
    if (logged < kLateMinLines || static_cast<double>(f.first_rank_line[i]) < kLateShare * static_cast<double>(logged))
      return false;
  }
  return !f.ranks.empty();
}

}  // namespace orrery::logs
