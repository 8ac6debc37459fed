// What a log view needs to know about each template when lines come from many ranks:
// how many lines, from which ranks, when first and last seen, and the lines themselves
// (the most recent ones, bounded), on top of the Drain parser that groups them.
//
// It also names the two anomalies that stand out in a distributed run's logs:
//  - a template seen on only some of the ranks (one rank took another code path: it
//    hit an error, fell back to the CPU, retried a connection);
//  - a template that first appeared late (a warning or an error that starts half-way
//    through, where everything before was routine). "Late" is judged by position in
//    each rank's own log, not by arrival order across ranks: a finished run's logs are
//    read one file after another, so arrival order says nothing about when.
// Time is the caller's clock (seconds; e.g. when the line was read), since log lines
// carry no common timestamp format.
#pragma once

#include "logs/drain.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::logs {

struct CatalogLine {
  int rank = 0;
  std::uint64_t index = 0;  // order of arrival among all lines added, from 0
  double time = 0;
  std::string text;
};

struct TemplateFacts {
  std::uint64_t lines = 0;
  std::vector<int> ranks;                      // sorted, distinct
  std::vector<std::uint64_t> first_rank_line;  // per entry of ranks: its first line's number in that rank's log, from 0
  double first_time = 0, last_time = 0;
  std::uint64_t first_index = 0, last_index = 0;
  std::deque<CatalogLine> recent;  // its last lines, at most lines_kept_per_template
};

class TemplateCatalog {
 public:
  // A template is "late" when, on every rank it came from, its first line stands past
  // this share of the lines that rank has logged...
  static constexpr double kLateShare = 0.5;
  // ...and those ranks have logged this many lines (early on, every template is new).
  static constexpr std::uint64_t kLateMinLines = 50;

  explicit TemplateCatalog(DrainOptions options = {}, std::size_t lines_kept_per_template = 1000);

  Drain::TemplateId add(int rank, std::string_view line, double time);

  std::size_t size() const { return facts_.size(); }
  const TemplateFacts& facts(Drain::TemplateId id) const { return facts_.at(id); }
  std::string template_text(Drain::TemplateId id) const { return drain_.template_text(id); }
  const std::vector<int>& ranks() const { return ranks_; }  // every rank seen, sorted
  std::uint64_t rank_lines(int rank) const;                  // lines that rank has logged
  std::uint64_t lines() const { return lines_; }

  bool on_some_ranks_only(Drain::TemplateId id) const;
  bool appeared_late(Drain::TemplateId id) const;

 private:
  Drain drain_;
  std::size_t kept_;
  std::vector<TemplateFacts> facts_;
  std::vector<int> ranks_;
  std::vector<std::uint64_t> rank_lines_;  // per entry of ranks_: lines that rank has logged
  std::uint64_t lines_ = 0;
};

}  // namespace orrery::logs
