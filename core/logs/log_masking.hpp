// Variable masking, the step before template mining: the parts of a log line that are
// obviously values (numbers, times, dates, versions, hex ids, UUIDs, IP addresses, paths, URLs,
// the digits inside identifiers such as blk_-1608 or sshd[24200], values of key=value)
// become "<*>", so the parser spends its similarity budget on the words that tell two
// messages apart, not on the numbers that tell two occurrences apart.
//
// Masking works on one token (a run of non-white-space bytes) at a time, in one pass
// over its bytes, with no regular expressions: it is the parser's hot path. Brackets,
// quotes and trailing punctuation around a value stay ("(TID <*>)", "<*>,"), so the
// template still reads like the line. Bytes >= 0x80 are letters to no rule here, so
// any byte sequence is safe input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::logs {

// What a masked variable (and a template position that varies) reads as.
inline constexpr std::string_view kWildcard = "<*>";

// Bounds that keep the cost of one line small and linear on untrusted input: bytes of a
// longer line are ignored (cut at a UTF-8 character boundary), and the tokens past the
// last one allowed are folded into a single "<*>".
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;
inline constexpr std::size_t kMaxTokens = 256;

// A line split at ASCII white space, each token masked. Tokens are views into storage
// that the next mask_line() into the same object reuses.
class MaskedLine {
 public:
  std::size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  std::string_view operator[](std::size_t i) const { return {text_.data() + spans_[i].offset, spans_[i].length}; }
  // The tokens joined by single spaces (the line's template before any merging).
  std::string joined() const;

 private:
  friend void mask_line(std::string_view line, MaskedLine& out);
  struct Span {
    std::uint32_t offset;
    std::uint32_t length;
  };
  std::string text_;
  std::vector<Span> spans_;
  std::vector<std::string_view> raw_;  // scratch: the unmasked tokens, for context rules
};

// Masks `line` into `out`, reusing out's storage (no allocation once warm).
// Besides each token's own rules, one context rule: a month name next to a day number
// ("Jun 14", "14 Jun") and a weekday before a month ("Fri Jun") are date parts too.
void mask_line(std::string_view line, MaskedLine& out);
MaskedLine mask_line(std::string_view line);

// One token masked on its own, with no neighbours for context; for tests and callers
// that hold single fields.
std::string mask_token(std::string_view token);

}  // namespace orrery::logs
