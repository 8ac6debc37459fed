// Drain, the online log parser of He, Zhu, Zheng and Lyu (ICWS 2017): groups log lines
// that were printed by the same statement into one template, one line at a time, with
// no training pass, in time that does not grow with the number of lines seen.
//
// A line is masked (log_masking.hpp), then routed down a fixed-depth tree: the first
// level is keyed by its token count, the next depth-2 levels by its leading tokens (a
// token with a digit goes to the "<*>" child, and a node with max_children children
// sends new tokens there too, so the tree stays bounded). The leaf holds a few groups;
// the line joins the most similar one if the similarity reaches the threshold (the
// group's template then turns every position where they differ into "<*>"), or starts
// a new group. Template ids count from 0 in the order groups first appear and never
// change; a template only ever gains wildcards.
//
// Departures from the paper, for lines that carry headers (timestamps, hosts, levels,
// components) and for lines of numbers:
//  - a token that masking made "<*>" is skipped when routing, instead of taking a tree
//    level: it would send every line to the same wildcard child, and a header of a date
//    and a time would use up the whole depth before the message's first word;
//  - field labels (a log level; the first token ending in ':', such as "sshd[<*>]:" or
//    "dfs.FSNamesystem:") route without using up the depth, so the depth-2 routing
//    tokens are the message's first words whether or not a header precedes it (the
//    paper's evaluation cuts headers off with a per-data-set log format first);
//  - positions where both the template and the line hold a masked "<*>" are left out
//    of the similarity, instead of counting as different: the paper's rule makes a line
//    of numbers only (a table row) unlike every other line, its own template included;
#pragma once

#include "logs/log_masking.hpp"
#include "logs/token_table.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orrery::logs {

struct DrainOptions {
  // Levels of the tree counting the root and the token-count level, as in the paper:
  // depth - 2 leading tokens route a line. At least 3.
  int depth = 4;
  // The share of compared positions that must be equal for a line to join a group, in [0, 1].
  double similarity = 0.5;
  // Children of a tree node before new tokens go to its "<*>" child. At least 2.
  std::size_t max_children = 100;
  // Groups in one leaf before a line that matches none joins the closest anyway: bounds
  // the work per line when input is adversarial (every line a new message). At least 1.
  std::size_t max_groups_per_leaf = 1000;
};

class Drain {
 public:
  using TemplateId = std::uint32_t;

  // Throws std::invalid_argument when an option is out of its range.
  explicit Drain(DrainOptions options = {});

  // Adds one line (any bytes; see log_masking.hpp for the bounds) and returns the id of
  // the template it joined or started.
  TemplateId add(std::string_view line);
  TemplateId add(const MaskedLine& line);

  std::size_t template_count() const { return groups_.size(); }
  // The template's tokens joined by single spaces, "<*>" where lines differ.
  std::string template_text(TemplateId id) const;
  // Lines added to the template so far.
  std::uint64_t line_count(TemplateId id) const { return groups_[id].lines; }
  const DrainOptions& options() const { return options_; }

 private:
  struct Group {
    std::vector<std::uint32_t> tokens;  // token ids; TokenTable::kWildcardId where lines differ
    std::uint64_t lines = 0;
  };
  struct Node {
    std::unordered_map<std::uint32_t, std::uint32_t> children;  // token id (token count at the root) -> node
    std::vector<TemplateId> groups;                             // at the leaves
  };
  struct Match {
    TemplateId id = 0;
    double similarity = -1;
    bool found = false;
  };

  void route_tokens(const MaskedLine& line);
  std::uint32_t find_leaf(std::size_t token_count) const;  // kNoNode when the path does not exist
  std::uint32_t make_leaf(std::size_t token_count);
  Match closest(const Node& leaf) const;
  TemplateId start_group(std::uint32_t leaf, const MaskedLine& line);
  void merge(TemplateId id);

  static constexpr std::uint32_t kNoNode = UINT32_MAX;

  DrainOptions options_;
  TokenTable tokens_;
  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::vector<Group> groups_;
  // Scratch for the line being added (kept to avoid allocations per line).
  MaskedLine masked_;
  std::vector<std::uint32_t> line_ids_;         // the line's token ids (TokenTable::kAbsent if unknown)
  std::vector<std::string_view> route_;         // the tokens that route it, in order
};

}  // namespace orrery::logs
