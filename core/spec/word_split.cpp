#include "spec/word_split.hpp"

namespace orrery::spec {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The one scanner behind both split functions: walks the text once, building
// the current word; `separator` ('\0' for none) closes the current group.
WordGroups scan(std::string_view text, char separator) {
  WordGroups out;
  std::vector<std::string> group;
  std::string word;
  bool in_word = false;   // a word has started (even an empty quoted one)
  auto end_word = [&] {
    if (in_word) group.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_blank(c)) {
      end_word();
    } else if (separator != '\0' && c == separator) {
      end_word();
      out.groups.push_back(std::move(group));
      group.clear();
    } else if (c == '\'') {
      in_word = true;
      auto close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        out.error = "unterminated ' quote (starting at character " + std::to_string(i + 1) + ")";
        return out;
      }
      word.append(text.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      in_word = true;
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) ++j;
        word += text[j];
      }
      if (j >= text.size()) {
        out.error = "unterminated \" quote (starting at character " + std::to_string(i + 1) + ")";
        return out;
      }
      i = j;
    } else if (c == '\\') {
      in_word = true;
      if (i + 1 < text.size()) word += text[++i];
      else word += c;   // a trailing backslash stands for itself
    } else {
      in_word = true;
      word += c;
    }
  }
  end_word();
  out.groups.push_back(std::move(group));
  return out;
}

}  // namespace

WordSplit split_words(std::string_view text) {
  auto scanned = scan(text, '\0');
  WordSplit out;
  out.error = std::move(scanned.error);
  if (out.ok()) out.words = std::move(scanned.groups.front());
  return out;
}

WordGroups split_word_groups(std::string_view text, char separator) { return scan(text, separator); }

std::string quote_word(std::string_view word, std::optional<char> separator) {
  bool plain = !word.empty();
  for (char c : word)
    if (is_blank(c) || c == '\'' || c == '"' || c == '\\' || (separator && c == *separator)) plain = false;
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string join_words(const std::vector<std::string>& words, std::optional<char> separator) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += quote_word(w, separator);
  }
  return out;
}

}  // namespace orrery::spec
