// The training text: the King James Bible printed by Debian's `bible` program (its data,
// /usr/lib/bible.data from bible-kjv-text, is in the program's own compressed format), or
// any UTF-8 text file; and its deterministic split into training and validation lines.
#pragma once

#include <string>

namespace orrery::gpt {

// The corpus parameter's value that names the KJV text.
inline constexpr const char* kKjvCorpus = "kjv";

// The whole KJV as plain text (one verse a line, book and chapter headings), from
// /usr/bin/bible run directly (no shell). Throws naming the package when it is missing.
std::string kjv_text();

// The text of a corpus: kjv_text() for "kjv", else the file's bytes. Throws when the file
// is missing, empty or not valid UTF-8 (naming the byte offset of the first bad sequence).
std::string read_corpus(const std::string& corpus);

// Offset of the first byte that is not part of a valid UTF-8 sequence, or npos.
std::size_t first_invalid_utf8(const std::string& text);

struct SplitText {
  std::string train, val;
};
// Lines in blocks of 32: every val_every-th block goes to validation, the rest to training
// (so both sample the whole text). val_every >= 2.
SplitText split_lines(const std::string& text, int val_every);

}  // namespace orrery::gpt
