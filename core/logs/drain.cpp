#include "logs/drain.hpp"

#include <stdexcept>

namespace orrery::logs {

namespace {

constexpr std::uint32_t kWild = TokenTable::kWildcardId;

bool has_digit(std::string_view s) {
  for (char c : s)
    if (c >= '0' && c <= '9') return true;
  return false;
}

}  // namespace

Drain::Drain(DrainOptions options) : options_(options) {
  if (options_.depth < 3) throw std::invalid_argument("Drain: depth must be at least 3");
  if (!(options_.similarity >= 0.0 && options_.similarity <= 1.0))
    throw std::invalid_argument("Drain: similarity must be in [0, 1]");
  if (options_.max_children < 2) throw std::invalid_argument("Drain: max_children must be at least 2");
  if (options_.max_groups_per_leaf < 1) throw std::invalid_argument("Drain: max_groups_per_leaf must be at least 1");
  nodes_.emplace_back();
}

// ---------------------------------------------------------------------------------------
// Routing: token count, then up to depth - 2 leading tokens
// ---------------------------------------------------------------------------------------

namespace {

// Field labels name where a message comes from, not which message it is: a log level
// (INFO, [WARN]), and a token that closes a "program:" or "component:" field
// (sshd[<*>]:, dfs.FSNamesystem:, kernel:).
bool is_log_level(std::string_view token) {
  while (!token.empty() && (token.front() == '[' || token.front() == '<' || token.front() == '(')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ']' || token.back() == '>' || token.back() == ')' || token.back() == ':'))
    token.remove_suffix(1);
  static constexpr std::string_view kLevels[] = {"TRACE", "DEBUG", "INFO",  "NOTICE",   "WARN",  "WARNING",
                                                 "ERROR", "FATAL", "SEVERE", "CRITICAL", "ALERT", "EMERG"};
  for (auto level : kLevels)
    if (token == level) return true;
  return false;
}

bool is_source_label(std::string_view token) { return token.size() > 1 && token.back() == ':'; }

}  // namespace

// The tokens that route the line: the leading ones that masking left informative.
//  - Field labels route without using up the depth (log levels, and the first
//    "program:" or "component:" label), so the depth goes to the message's own first
//    words whether or not the line starts with such a header ("INFO dfs.DataNode:
//    Receiving block ...", "sshd[<*>]: Failed password ..."), as the paper's parser
//    gets them after a per-data-set log format has cut the header off. Only the first
//    such label is free: in "xinetd[<*>]: START: telnet pid=<*>", "START:" is the
//    message's first word.
//  - The last token never routes (as in Drain3): a line whose every token routed would
//    meet only identical lines in its leaf, so "Stopping foo" and "Stopping bar" could
//    never share a template.
void Drain::route_tokens(const MaskedLine& line) {
  constexpr std::size_t kMaxFree = 3;  // bounds the tree's real depth
  route_.clear();
  const std::size_t levels = static_cast<std::size_t>(options_.depth - 2);
  std::size_t counted = 0, free = 0;
  bool source_seen = false;
  for (std::size_t i = 0; i + 1 < line.size() && counted < levels; ++i) {
    const std::string_view token = line[i];
    if (token == kWildcard) continue;
    route_.push_back(token);
    const bool level = is_log_level(token);
    const bool source = !level && !source_seen && is_source_label(token);
    source_seen = source_seen || source;
    if ((level || source) && free < kMaxFree)
      ++free;
    else
      ++counted;
  }
}

std::uint32_t Drain::find_leaf(std::size_t token_count) const {
  auto it = nodes_[0].children.find(static_cast<std::uint32_t>(token_count));
  if (it == nodes_[0].children.end()) return kNoNode;
  std::uint32_t node = it->second;
  for (auto token : route_) {
    const auto& children = nodes_[node].children;
    const std::uint32_t key = has_digit(token) ? kWild : tokens_.find(token);
    auto child = children.find(key);
    if (child == children.end()) child = children.find(kWild);
    if (child == children.end()) return kNoNode;
    node = child->second;
  }
  return node;
}

std::uint32_t Drain::make_leaf(std::size_t token_count) {
  auto child_of = [this](std::uint32_t node, std::uint32_t key) {
    auto it = nodes_[node].children.find(key);
    if (it != nodes_[node].children.end()) return it->second;
    const auto made = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();  // may move nodes_: look `node` up again below
    nodes_[node].children.emplace(key, made);
    return made;
  };
  std::uint32_t node = child_of(0, static_cast<std::uint32_t>(token_count));
  for (auto token : route_) {
    if (has_digit(token)) {
      node = child_of(node, kWild);
      continue;
    }
    const auto& children = nodes_[node].children;
    const std::uint32_t known = tokens_.find(token);
    if (known != TokenTable::kAbsent && children.contains(known)) {
      node = children.at(known);
      continue;
    }
    // A new token: its own child while there is room, keeping one slot for "<*>", which
    // takes every token after that.
    const bool has_wild = children.contains(kWild);
    const std::size_t room = options_.max_children - (has_wild ? 0 : 1);
    node = children.size() < room ? child_of(node, tokens_.intern(token)) : child_of(node, kWild);
  }
  return node;
}

// ---------------------------------------------------------------------------------------
// Similarity and merging
// ---------------------------------------------------------------------------------------

// Share of positions equal between a group's template and the line, leaving out those
// where both are masked; a template wildcard facing a concrete token counts as unequal
// (so a template that has gone general does not swallow everything of its length), but
// among equally similar groups the one with more wildcards wins, as in the paper.
Drain::Match Drain::closest(const Node& leaf) const {
  Match best;
  std::size_t best_wild = 0;
  for (TemplateId id : leaf.groups) {
    const auto& t = groups_[id].tokens;
    std::size_t compared = 0, equal = 0, wild = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == kWild) {
        ++wild;
        if (line_ids_[i] == kWild) continue;
        ++compared;
        continue;
      }
      ++compared;
      if (t[i] == line_ids_[i]) ++equal;
    }
    const double similarity = compared ? static_cast<double>(equal) / static_cast<double>(compared) : 1.0;
    if (similarity > best.similarity || (similarity == best.similarity && wild > best_wild)) {
      best = {id, similarity, true};
      best_wild = wild;
    }
  }
  return best;
}

void Drain::merge(TemplateId id) {
  auto& t = groups_[id].tokens;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i] != line_ids_[i]) t[i] = kWild;
  ++groups_[id].lines;
}

Drain::TemplateId Drain::start_group(std::uint32_t leaf, const MaskedLine& line) {
  const auto id = static_cast<TemplateId>(groups_.size());
  Group g;
  g.tokens.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) g.tokens.push_back(tokens_.intern(line[i]));
  g.lines = 1;
  groups_.push_back(std::move(g));
  nodes_[leaf].groups.push_back(id);
  return id;
}

// ---------------------------------------------------------------------------------------
// Adding a line
// ---------------------------------------------------------------------------------------

Drain::TemplateId Drain::add(std::string_view line) {
  mask_line(line, masked_);
  return add(masked_);
}

Drain::TemplateId Drain::add(const MaskedLine& line) {
  line_ids_.clear();
  for (std::size_t i = 0; i < line.size(); ++i) line_ids_.push_back(tokens_.find(line[i]));
  route_tokens(line);

  // Search first: a token with no child of its own may still find its group under "<*>".
  const std::uint32_t found = find_leaf(line.size());
  if (found != kNoNode) {
    const Match m = closest(nodes_[found]);
    if (m.found && m.similarity >= options_.similarity) {
      merge(m.id);
      return m.id;
    }
  }
  const std::uint32_t leaf = make_leaf(line.size());
  if (nodes_[leaf].groups.size() < options_.max_groups_per_leaf) return start_group(leaf, line);
  // A full leaf: join the closest group rather than let the leaf (and the work per line) grow.
  const Match m = closest(nodes_[leaf]);
  merge(m.id);
  return m.id;
}

std::string Drain::template_text(TemplateId id) const {
  const auto& t = groups_.at(id).tokens;
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i) out += ' ';
    out += tokens_.text(t[i]);
  }
  return out;
}

}  // namespace orrery::logs
