// Token ids on disk: a 24-byte header (magic "ORRYTOKS", format version, vocabulary size,
// token count) and the ids as little-endian uint32. A file with another magic or version
// is refused with a hint instead of being misread.
#pragma once

#include <string>
#include <vector>

namespace orrery::gpt {

void write_token_file(const std::string& path, const std::vector<int>& ids, int vocab);
// Throws std::runtime_error naming the file and what is wrong; checks every id < vocab.
std::vector<int> read_token_file(const std::string& path, int vocab);

}  // namespace orrery::gpt
