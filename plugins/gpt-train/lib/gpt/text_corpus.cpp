#include "gpt/text_corpus.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace orrery::gpt {

namespace {
constexpr const char* kBibleProgram = "/usr/bin/bible";
}

std::string kjv_text() {
  if (!std::filesystem::exists(kBibleProgram))
    throw std::runtime_error(std::string("corpus kjv needs ") + kBibleProgram +
                             " (Debian packages bible-kjv and bible-kjv-text; packaging/install-deps.sh installs them)");
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  // -l: line width; wide enough that every verse stays on one line. The range is the whole book.
  std::array<char*, 4> argv{const_cast<char*>(kBibleProgram), const_cast<char*>("-l100000"),
                            const_cast<char*>("gen1:1-rev22:21"), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, kBibleProgram, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    throw std::runtime_error(std::string("cannot run ") + kBibleProgram + ": " + std::strerror(rc));
  }
  std::string text;
  std::array<char, 65536> buf;
  for (;;) {
    const ssize_t n = ::read(out[0], buf.data(), buf.size());
    if (n > 0) text.append(buf.data(), static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.size() < 1000000)
    throw std::runtime_error(std::string(kBibleProgram) + " did not print the KJV text (is bible-kjv-text installed?)");
  return text;
}

std::size_t first_invalid_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    std::size_t len = 0;
    unsigned min = 0, cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string::npos;
}

std::string read_corpus(const std::string& corpus) {
  if (corpus == kKjvCorpus) return kjv_text();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(corpus, ec)) throw std::runtime_error("corpus " + corpus + " not found");
  std::ifstream in(corpus, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read corpus " + corpus);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.empty()) throw std::runtime_error("corpus " + corpus + " is empty");
  const auto bad = first_invalid_utf8(text);
  if (bad != std::string::npos)
    throw std::runtime_error("corpus " + corpus + " is not UTF-8 text (invalid byte at offset " + std::to_string(bad) + ")");
  return text;
}

SplitText split_lines(const std::string& text, int val_every) {
  if (val_every < 2) throw std::invalid_argument("val_every must be at least 2");
  SplitText out;
  std::size_t start = 0, line = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    const bool val = (line / 32) % static_cast<std::size_t>(val_every) == static_cast<std::size_t>(val_every - 1);
    (val ? out.val : out.train).append(text, start, end - start);
    start = end;
    ++line;
  }
  return out;
}

}  // namespace orrery::gpt
