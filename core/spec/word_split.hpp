// Shell-like word splitting for one-line argument lists (the launch form's
// string_list fields), done here and never by a shell: nothing is expanded,
// globbed or executed. Rules, a small subset of POSIX sh quoting:
//   - unquoted spaces and tabs separate words;
//   - '...' keeps everything inside literally;
//   - "..." keeps everything inside, except that \" and \\ stand for " and \ ;
//   - outside quotes, a backslash keeps the next character literally;
//   - '' or "" alone is an empty word.
// join_words() quotes a list so that split_words() gives it back unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::spec {

struct WordSplit {
  std::vector<std::string> words;
  std::string error;   // empty when the text was well formed ("unterminated ' quote")
  bool ok() const { return error.empty(); }
};

// `separator`, when given, is a character that (unquoted) ends a group of words;
// split_word_groups("a b; c", ';') gives {{"a","b"},{"c"}}.
WordSplit split_words(std::string_view text);
struct WordGroups {
  std::vector<std::vector<std::string>> groups;
  std::string error;
  bool ok() const { return error.empty(); }
};
WordGroups split_word_groups(std::string_view text, char separator);

// One word quoted only when it needs to be (empty, or holding a space, quote,
// backslash or `separator`): single quotes, with ' written as '\''.
std::string quote_word(std::string_view word, std::optional<char> separator = std::nullopt);
std::string join_words(const std::vector<std::string>& words, std::optional<char> separator = std::nullopt);

}  // namespace orrery::spec
