#include "remote/copy_back.hpp"

#include "remote/deploy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace orrery::remote {

namespace fs = std::filesystem;

namespace {

struct RemoteFile {
  std::string name;   // relative to the run folder
  std::uint64_t size = 0;
};

// `find DIR -type f -printf '%s %P\n'`: size and name relative to DIR, one per line.
std::vector<RemoteFile> list_remote(const SshConnection& ssh, const std::string& dir, CopyBackReport& report) {
  auto r = ssh.run({"find", dir, "-type", "f", "-printf", "%s %P\\n"}, within(std::chrono::minutes(2)));
  if (!r.success()) throw SshError("cannot list " + dir + " on " + ssh.describe() + ": " + r.err);
  std::vector<RemoteFile> files;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0) continue;
    RemoteFile f;
    try {
      f.size = std::stoull(line.substr(0, space));
    } catch (const std::exception&) {
      continue;
    }
    f.name = line.substr(space + 1);
    if (!safe_relative_name(f.name)) {
      report.refused.push_back(f.name);
      continue;
    }
    files.push_back(std::move(f));
  }
  return files;
}

std::uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  return ec ? 0 : size;
}

// Appends the remote file from byte `offset` on to `part` (truncated first when offset is 0).
void fetch_from(const SshConnection& ssh, const std::string& remote, const fs::path& part, std::uint64_t offset) {
  fs::create_directories(part.parent_path());
  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (offset == 0 ? O_TRUNC : O_APPEND), 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + part.string());
  auto into_file = within(std::chrono::minutes(30));
  into_file.stdout_fd = fd;
  auto r = ssh.run({"tail", "-c", "+" + std::to_string(offset + 1), "--", remote}, into_file);
  ::close(fd);
  if (!r.success()) throw SshError("copying " + remote + " from " + ssh.describe() + " failed: " + r.err);
}

}  // namespace

bool safe_relative_name(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('/', start), name.size());
    const auto part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

CopyBackReport copy_back_resumable(const SshConnection& ssh, const std::string& remote_run_dir,
                                   const fs::path& local_run_dir) {
  CopyBackReport report;
  const auto files = list_remote(ssh, remote_run_dir, report);
  report.files = static_cast<int>(files.size());
  if (files.empty()) return report;

  std::vector<std::string> remote_argv = {"sha256sum", "--"};
  for (const auto& f : files) {
    remote_argv.push_back(remote_run_dir + "/" + f.name);
    report.total_bytes += f.size;
  }
  auto hashed = ssh.run(remote_argv, within(std::chrono::minutes(10)));
  if (!hashed.success()) throw SshError("hashing " + remote_run_dir + " on " + ssh.describe() + " failed: " + hashed.err);
  const auto remote_sums = parse_sha256sum(hashed.out);

  // The digests of what is here already (complete files), in one sha256sum call.
  std::vector<fs::path> present;
  for (const auto& f : files)
    if (fs::is_regular_file(local_run_dir / f.name)) present.push_back(local_run_dir / f.name);
  std::map<fs::path, std::string> local_sums;
  if (!present.empty()) {
    const auto sums = local_sha256(present);
    for (std::size_t i = 0; i < present.size(); ++i) local_sums[present[i]] = sums[i];
  }

  for (const auto& f : files) {
    const std::string remote = remote_run_dir + "/" + f.name;
    const auto want = remote_sums.find(remote);
    if (want == remote_sums.end()) throw std::runtime_error("no checksum for " + remote + " (renamed while copying?)");
    const fs::path target = local_run_dir / f.name;
    if (auto it = local_sums.find(target); it != local_sums.end() && it->second == want->second) {
      ++report.unchanged;
      continue;
    }
    const fs::path part = fs::path(target.string() + ".part");
    std::uint64_t offset = size_or_zero(part);
    if (offset > f.size) offset = 0;   // not a beginning of this file
    if (offset > 0) ++report.resumed;
    fetch_from(ssh, remote, part, offset);
    report.bytes += f.size - offset;
    if (local_sha256({part})[0] != want->second) {
      if (offset == 0) throw std::runtime_error(remote + " changed while it was copied");
      fetch_from(ssh, remote, part, 0);   // the .part began differently: the whole file again
      report.bytes += f.size;
      if (local_sha256({part})[0] != want->second) throw std::runtime_error(remote + " changed while it was copied");
    }
    fs::rename(part, target);
  }
  return report;
}

}  // namespace orrery::remote
