#include "logs/log_masking.hpp"

#include <array>

namespace orrery::logs {

namespace {

// ---------------------------------------------------------------------------------------
// Byte classes (ASCII only: a byte >= 0x80 is none of these, whatever the locale says)
// ---------------------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Punctuation that wraps a value without being part of it: "(TID 12)", "[pid 7]", "'x'",
// "12," or "done." The template keeps it; only what is inside is judged.
constexpr std::string_view kOpeners = "([{<\"'`";
constexpr std::string_view kClosers = ")]}>\"'`,;:.!?";

// A token like a=b:c=d:... is split at most this many times, so the whole-value checks
// below (each linear in the rest of the token) stay linear in the token overall.
constexpr int kMaxKeyParts = 8;

// ---------------------------------------------------------------------------------------
// Whole values: a core (a token without its wrapping punctuation) that is one of these
// becomes a single "<*>".
// ---------------------------------------------------------------------------------------

// Numbers and the things made of digits and separators: 12, -3.5e-4, 1,024, 1/20,
// 20:10:40,123, 2026-11-25T20:39:59Z, 10.0.0.1:8080, 3.3.3-7, and a short unit after
// them: 10ms, 45%, 3.9KB, 1.2GB/s, 64-bit.
bool is_numeric(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i >= s.size() || !is_digit(s[i])) return false;
  while (i < s.size()) {
    char c = s[i];
    if (is_digit(c) || c == '.' || c == ',' || c == ':' || c == '/' || c == '-' || c == '+' || c == '_') {
      ++i;
      continue;
    }
    // An exponent or the T of an ISO time sits between digits (1e-5, 2026-11-25T20:39).
    const bool between_digits = is_digit(s[i - 1]) && i + 1 < s.size() &&
                                (is_digit(s[i + 1]) || ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < s.size() &&
                                                        is_digit(s[i + 2])));
    if ((c == 'e' || c == 'E' || c == 'T') && between_digits) {
      ++i;
      continue;
    }
    break;
  }
  const std::size_t unit = s.size() - i;
  if (unit == 0) return true;
  if (unit > 6 || !(is_alpha(s[i]) || s[i] == '%')) return false;
  for (; i < s.size(); ++i)
    if (!(is_alpha(s[i]) || s[i] == '%' || s[i] == '/')) return false;
  return true;
}

// Versions: 1.2.3-4+deb12u1, 2.36-9~bpo11, v4.1.4, 12.2.0rc1 (a digit first, or v and a
// digit; a dot; then digits, letters and . + ~ _ -).
bool is_version(std::string_view s) {
  if (s.size() > 1 && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (s.empty() || !is_digit(s[0]) || s.find('.') == std::string_view::npos) return false;
  for (char c : s)
    if (!(is_alnum(c) || c == '.' || c == '+' || c == '~' || c == '_' || c == '-')) return false;
  return true;
}

// 0x7f3a, UUIDs (550e8400-e29b-41d4-a716-446655440000), MAC and IPv6 addresses, commit
// hashes and other long hex ids. A digit is required, so words made of the letters a-f
// ("added", "facade") are not ids.
bool is_hex_id(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (std::size_t i = 2; i < s.size(); ++i)
      if (!is_hex(s[i])) return false;
    return true;
  }
  std::size_t hex = 0, colons = 0;
  bool digit = false;
  for (char c : s) {
    if (is_hex(c)) {
      ++hex;
      digit = digit || is_digit(c);
    } else if (c == ':') {
      ++colons;
    } else if (c != '-') {
      return false;
    }
  }
  return digit && (hex >= 8 || (colons >= 2 && hex >= 2));
}

// /abs/path, ./rel, ../rel, ~/home, scheme://anything, C:\windows.
bool is_path(std::string_view s) {
  if (s.size() >= 2 && s[0] == '/') return true;
  if (s.starts_with("./") || s.starts_with("../") || s.starts_with("~/")) return true;
  if (s.find("://") != std::string_view::npos) return true;
  return s.size() >= 3 && is_alpha(s[0]) && s[1] == ':' && s[2] == '\\';
}

bool is_whole_value(std::string_view s) {
  return !s.empty() && (is_numeric(s) || is_version(s) || is_hex_id(s) || is_path(s));
}

// ---------------------------------------------------------------------------------------
// Masking a core
// ---------------------------------------------------------------------------------------

// Inside an identifier, a run of letters and digits is a value when it starts with a
// digit (blk_-<*>, sshd[<*>, application_<*>_<*>, 2nd) or is a long hex id. A run of
// letters that ends in digits keeps its letters: the digits number one of many
// (rank<*>, gpu<*>, node<*>, worker<*>, piece<*>); a name that happens to end in digits
// (md5, H100) reads as md<*> then, which costs a template nothing. Digits inside a
// word (log4j, mpi4py, e2e) stay.
void append_runs_masked(std::string_view s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (!is_alnum(s[i])) {
      out += s[i++];
      continue;
    }
    std::size_t j = i;
    bool digit = false, hex = true;
    for (; j < s.size() && is_alnum(s[j]); ++j) {
      digit = digit || is_digit(s[j]);
      hex = hex && is_hex(s[j]);
    }
    const std::string_view run = s.substr(i, j - i);
    std::size_t letters = run.size();
    while (letters > 0 && is_digit(run[letters - 1])) --letters;
    if (digit && (is_digit(run[0]) || (hex && run.size() >= 8))) {
      out += kWildcard;
    } else if (letters < run.size()) {
      out += run.substr(0, letters);
      out += kWildcard;
    } else {
      out += run;
    }
    i = j;
  }
}

void append_part_masked(std::string_view part, std::string& out) {
  if (is_whole_value(part))
    out += kWildcard;
  else
    append_runs_masked(part, out);
}

// key=value and key:value: each side is judged on its own (rhost=<*>, time:<*>,
// <*>:<*>:Transmitted), after the whole has had its chance (12:30:00, http://h:80/x).
void append_core_masked(std::string_view core, std::string& out) {
  for (int parts = 0;; ++parts) {
    if (is_whole_value(core)) {
      out += kWildcard;
      return;
    }
    const std::size_t sep = parts < kMaxKeyParts ? core.find_first_of("=:") : std::string_view::npos;
    if (sep == std::string_view::npos) {
      append_runs_masked(core, out);
      return;
    }
    append_part_masked(core.substr(0, sep), out);
    out += core[sep];
    core.remove_prefix(sep + 1);
  }
}

void append_token_masked(std::string_view token, std::string& out) {
  std::size_t begin = 0, end = token.size();
  while (begin < end && kOpeners.find(token[begin]) != std::string_view::npos) ++begin;
  while (end > begin && kClosers.find(token[end - 1]) != std::string_view::npos) --end;
  out += token.substr(0, begin);
  append_core_masked(token.substr(begin, end - begin), out);
  out += token.substr(end);
}

// ---------------------------------------------------------------------------------------
// Date words, masked by context only: "May" alone is a word, "May 14" is a date.
// ---------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 24> kMonths = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"};
constexpr std::array<std::string_view, 14> kWeekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
                                                        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// "Jun", "June", "Jun," (a trailing comma or period is the date's punctuation).
template <std::size_t N>
bool is_one_of(std::string_view token, const std::array<std::string_view, N>& words) {
  while (!token.empty() && (token.back() == ',' || token.back() == '.')) token.remove_suffix(1);
  for (auto w : words)
    if (token == w) return true;
  return false;
}

bool is_month(std::string_view t) { return is_one_of(t, kMonths); }
bool is_weekday(std::string_view t) { return is_one_of(t, kWeekdays); }

bool is_day_of_month(std::string_view t) {
  if (!t.empty() && t.back() == ',') t.remove_suffix(1);
  if (t.empty() || t.size() > 2 || !is_digit(t[0]) || (t.size() == 2 && !is_digit(t[1]))) return false;
  const int day = t.size() == 1 ? t[0] - '0' : (t[0] - '0') * 10 + (t[1] - '0');
  return day >= 1 && day <= 31;
}

bool is_date_word(const std::vector<std::string_view>& raw, std::size_t i) {
  const auto& t = raw[i];
  if (t.size() < 3 || t.size() > 10 || t[0] < 'A' || t[0] > 'Z') return false;  // the common case, quickly
  if (is_month(t))
    return (i + 1 < raw.size() && is_day_of_month(raw[i + 1])) || (i > 0 && is_day_of_month(raw[i - 1]));
  return is_weekday(t) && i + 1 < raw.size() && is_month(raw[i + 1]);
}

// The first `limit` bytes of `line`, not cutting a UTF-8 sequence in two.
std::string_view cut(std::string_view line, std::size_t limit) {
  if (line.size() <= limit) return line;
  std::size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
  return line.substr(0, n);
}

}  // namespace

std::string MaskedLine::joined() const {
  std::string out;
  for (std::size_t i = 0; i < size(); ++i) {
    if (i) out += ' ';
    out += (*this)[i];
  }
  return out;
}

void mask_line(std::string_view line, MaskedLine& out) {
  out.text_.clear();
  out.spans_.clear();
  out.raw_.clear();
  line = cut(line, kMaxLineBytes);

  // Split at white space; past kMaxTokens - 1 tokens the rest is one folded token.
  bool folded = false;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    if (out.raw_.size() == kMaxTokens - 1) {
      folded = true;
      break;
    }
    std::size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    out.raw_.push_back(line.substr(i, j - i));
    i = j;
  }

  out.text_.reserve(line.size() + 16);
  auto add_span = [&out](std::size_t from) {
    out.spans_.push_back({static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(out.text_.size() - from)});
  };
  for (std::size_t k = 0; k < out.raw_.size(); ++k) {
    const std::size_t from = out.text_.size();
    if (is_date_word(out.raw_, k))
      out.text_ += kWildcard;
    else
      append_token_masked(out.raw_[k], out.text_);
    add_span(from);
  }
  if (folded) {
    const std::size_t from = out.text_.size();
    out.text_ += kWildcard;
    add_span(from);
  }
}

MaskedLine mask_line(std::string_view line) {
  MaskedLine out;
  mask_line(line, out);
  return out;
}

std::string mask_token(std::string_view token) {
  std::string out;
  append_token_masked(token, out);
  return out;
}

}  // namespace orrery::logs
