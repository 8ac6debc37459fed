#include "logs/line_reader.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace orrery::logs {

namespace {
constexpr std::size_t kBlock = 256 * 1024;
}

LineReader::LineReader(std::FILE* file, std::size_t max_line_bytes)
    : file_(file), max_(max_line_bytes), buffer_(kBlock) {}

bool LineReader::fill() {
  if (eof_) return false;
  begin_ = 0;
  end_ = std::fread(buffer_.data(), 1, buffer_.size(), file_);
  if (end_ == 0) {
    if (std::ferror(file_)) throw std::system_error(errno ? errno : EIO, std::generic_category(), "read");
    eof_ = true;
    return false;
  }
  return true;
}

bool LineReader::next(std::string& line) {
  line.clear();
  cut_ = false;
  bool any = false;  // read at least one byte of this line (its newline included)
  for (;;) {
    if (begin_ == end_ && !fill()) break;
    any = true;
    const char* start = buffer_.data() + begin_;
    const std::size_t available = end_ - begin_;
    const void* newline = std::memchr(start, '\n', available);
    const std::size_t take = newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : available;
    if (line.size() < max_) {
      const std::size_t room = max_ - line.size();
      line.append(start, take < room ? take : room);
      if (take > room) cut_ = true;
    } else if (take > 0) {
      cut_ = true;
    }
    if (newline) {
      begin_ += take + 1;
      break;
    }
    begin_ = end_;
  }
  if (!any) return false;
  if (!line.empty() && line.back() == '\r' && !cut_) line.pop_back();
  return true;
}

}  // namespace orrery::logs
