// The series-name rule of run.h5 (valid_series_name, declared in run_h5_writer.hpp).
#include "runfiles/run_h5_writer.hpp"

#include <algorithm>

namespace orrery::runfiles {

namespace {

bool valid_segment(std::string_view s) {
  if (s.empty() || s.size() > 64 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

}  // namespace

bool valid_series_name(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  for (std::size_t start = 0;;) {
    std::size_t slash = name.find('/', start);
    if (!valid_segment(name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace orrery::runfiles
