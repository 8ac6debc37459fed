#include "runfiles/csv_export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace orrery::runfiles {

namespace {

namespace fs = std::filesystem;

// Buffered writer of one CSV file; numbers through std::to_chars (locale-free, shortest
// round-trip form for doubles).
class CsvFile {
 public:
  explicit CsvFile(const fs::path& path) : path_(path) {
    // O_NOFOLLOW: a symbolic link planted at the file's place is not followed.
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0) throw RunFileError("cannot write " + path.string() + ": " + std::strerror(errno));
    buf_.reserve(kBufferBytes + 256);
  }
  ~CsvFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  void text(std::string_view s) { buf_.append(s); }
  template <class T>
  void number(T v) {
    char tmp[40];
    auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, end);
  }
  void end_row() {
    buf_.push_back('\n');
    if (buf_.size() >= kBufferBytes) drain();
  }
  void finish() {
    drain();
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) throw RunFileError("cannot write " + path_.string() + ": " + std::strerror(errno));
  }

 private:
  static constexpr std::size_t kBufferBytes = 1 << 20;

  void drain() {
    const char* p = buf_.data();
    std::size_t left = buf_.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw RunFileError("cannot write " + path_.string() + ": " + std::strerror(errno));
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    buf_.clear();
  }

  fs::path path_;
  int fd_ = -1;
  std::string buf_;
};

// dir/<rel>, with every folder below dir created one by one; refuses a folder that is
// a symbolic link (it could lead out of dir) before anything is created through it.
fs::path prepare(const fs::path& dir, const fs::path& rel) {
  std::error_code ec;
  fs::create_directories(dir, ec);  // dir itself is the caller's choice, link or not
  if (ec) throw RunFileError("cannot create folder " + dir.string() + ": " + ec.message());
  fs::path walk = dir;
  for (const auto& part : rel.parent_path()) {
    walk /= part;
    auto st = fs::symlink_status(walk, ec);
    if (fs::is_symlink(st)) throw RunFileError("refusing to export through the symbolic link " + walk.string());
    if (!fs::exists(st)) {
      fs::create_directory(walk, ec);
      if (ec) throw RunFileError("cannot create folder " + walk.string() + ": " + ec.message());
    } else if (!fs::is_directory(st)) {
      throw RunFileError("cannot export into " + walk.string() + ": not a folder");
    }
  }
  return dir / rel;
}

void check_name(const std::string& what, const std::string& name) {
  if (!valid_series_name(name))
    throw RunFileError("refusing to export " + what + " \"" + name +
                       "\": not a valid series name, so not safe as a file path");
}

}  // namespace

std::vector<fs::path> export_csv(const RunH5Reader& reader, const fs::path& dir) {
  std::vector<SeriesKey> keys = reader.list_series();
  std::vector<std::string> reduced = reader.reduced_names();
  // Check every name before writing anything, so a bad file leaves no partial export.
  for (const auto& k : keys) check_name("series", k.name);
  for (const auto& n : reduced) check_name("reduced series", n);

  std::vector<fs::path> written;
  for (const auto& k : keys) {
    SeriesData d = reader.read_series(k);
    fs::path target = prepare(dir, fs::path(k.group) / ("rank-" + std::to_string(k.rank)) / (k.name + ".csv"));
    CsvFile out(target);
    out.text("step,time,value");
    out.end_row();
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
      out.number(d.steps[i]);
      out.text(",");
      out.number(d.times[i]);
      out.text(",");
      out.number(d.values[i]);
      out.end_row();
    }
    out.finish();
    written.push_back(target);
  }
  for (const auto& name : reduced) {
    ReducedData d = reader.read_reduced(name);
    fs::path target = prepare(dir, fs::path("reduced") / (name + ".csv"));
    CsvFile out(target);
    out.text("step,time,mean,min,max,count");
    out.end_row();
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
      out.number(d.steps[i]);
      out.text(",");
      out.number(d.times[i]);
      out.text(",");
      out.number(d.mean[i]);
      out.text(",");
      out.number(d.min[i]);
      out.text(",");
      out.number(d.max[i]);
      out.text(",");
      out.number(d.count[i]);
      out.end_row();
    }
    out.finish();
    written.push_back(target);
  }
  return written;
}

}  // namespace orrery::runfiles
