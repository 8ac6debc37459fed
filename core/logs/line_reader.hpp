// Reads a log file line by line in large blocks, with a bound on a line's length: a file
// with no newline in its gigabytes must not become one string in memory. The part of a
// line past the bound is skipped up to the next newline (the parser looks at no more of
// a line than log_masking.hpp's kMaxLineBytes anyway).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace orrery::logs {

class LineReader {
 public:
  // Reads from `file` (not owned, not closed). A line's "\n" and a "\r" before it are
  // not part of it; a last line without a newline is a line; an empty file has none.
  LineReader(std::FILE* file, std::size_t max_line_bytes);

  // The next line into `line`; false at the end of the input. Throws std::system_error
  // when reading fails (a directory, an I/O error).
  bool next(std::string& line);
  // Whether the line last returned was longer than the bound (and so cut).
  bool cut() const { return cut_; }

 private:
  bool fill();

  std::FILE* file_;
  std::size_t max_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;  // unread bytes are buffer_[begin_, end_)
  bool eof_ = false;
  bool cut_ = false;
};

}  // namespace orrery::logs
