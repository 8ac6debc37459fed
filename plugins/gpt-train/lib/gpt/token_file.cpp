#include "gpt/token_file.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace orrery::gpt {

namespace {
constexpr char kMagic[8] = {'O', 'R', 'R', 'Y', 'T', 'O', 'K', 'S'};
constexpr std::uint32_t kTokenFileVersion = 1;
}  // namespace

void write_token_file(const std::string& path, const std::vector<int>& ids, int vocab) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    const std::uint32_t version = kTokenFileVersion, v = static_cast<std::uint32_t>(vocab);
    const std::uint64_t count = ids.size();
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&version), sizeof version);
    out.write(reinterpret_cast<const char*>(&v), sizeof v);
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    std::vector<std::uint32_t> u(ids.begin(), ids.end());
    out.write(reinterpret_cast<const char*>(u.data()), static_cast<std::streamsize>(u.size() * sizeof(std::uint32_t)));
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

std::vector<int> read_token_file(const std::string& path, int vocab) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open token file " + path);
  char magic[8];
  std::uint32_t version = 0, v = 0;
  std::uint64_t count = 0;
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(&version), sizeof version);
  in.read(reinterpret_cast<char*>(&v), sizeof v);
  in.read(reinterpret_cast<char*>(&count), sizeof count);
  if (!in || std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw std::runtime_error(path + " is not a token file (bad magic; delete it to have it rebuilt)");
  if (version != kTokenFileVersion)
    throw std::runtime_error(path + " is token file version " + std::to_string(version) + ", this build reads " +
                             std::to_string(kTokenFileVersion) + " (delete it to have it rebuilt)");
  if (static_cast<int>(v) != vocab)
    throw std::runtime_error(path + " holds ids of a " + std::to_string(v) + "-token vocabulary, expected " +
                             std::to_string(vocab));
  const auto expected = 24 + count * sizeof(std::uint32_t);
  if (std::filesystem::file_size(path) != expected) throw std::runtime_error(path + " is truncated");
  std::vector<std::uint32_t> u(count);
  in.read(reinterpret_cast<char*>(u.data()), static_cast<std::streamsize>(count * sizeof(std::uint32_t)));
  std::vector<int> ids(u.begin(), u.end());
  for (auto id : u)
    if (id >= v) throw std::runtime_error(path + " holds id " + std::to_string(id) + " outside its vocabulary");
  return ids;
}

}  // namespace orrery::gpt
