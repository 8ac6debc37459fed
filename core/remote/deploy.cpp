#include "remote/deploy.hpp"

#include "remote/shell_quote.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <stdexcept>

namespace orrery::remote {

std::map<std::string, std::string> parse_sha256sum(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 67 || line[64] != ' ') continue;
    out[line.substr(66)] = line.substr(0, 64);
  }
  return out;
}

std::vector<std::string> local_sha256(const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> argv = {"sha256sum", "--"};
  for (const auto& f : files) argv.push_back(f.string());
  auto r = run_captured(argv);
  if (!r.success()) throw std::runtime_error("sha256sum of the files to deploy failed: " + r.err);
  auto sums = parse_sha256sum(r.out);
  std::vector<std::string> out;
  for (const auto& f : files) {
    auto it = sums.find(f.string());
    if (it == sums.end()) throw std::runtime_error("no checksum for " + f.string());
    out.push_back(it->second);
  }
  return out;
}

DeployReport deploy(const SshConnection& ssh, const std::vector<DeployFile>& files, const DeployProgressFn& progress) {
  if (files.empty()) return {};
  std::vector<std::filesystem::path> locals;
  std::vector<std::string> remote_argv = {"sha256sum", "--"};
  for (const auto& f : files) {
    locals.push_back(f.local);
    remote_argv.push_back(f.remote);
  }
  auto local = local_sha256(locals);
  // Missing remote files make sha256sum exit 1; the ones it printed are still valid.
  auto r = ssh.run(remote_argv);
  if (r.status.exit_code == 255 || r.timed_out) throw SshError("hashing the deployed files on " + ssh.describe() + " failed: " + r.err);
  auto sums = parse_sha256sum(r.out);
  std::vector<std::string> remote;
  for (const auto& f : files) {
    auto it = sums.find(f.remote);
    remote.push_back(it == sums.end() ? std::string() : it->second);
  }
  return send_changed(ssh, files, local, remote, progress);
}

DeployReport send_changed(const SshConnection& ssh, const std::vector<DeployFile>& files, const std::vector<std::string>& local,
                          const std::vector<std::string>& remote, const DeployProgressFn& progress) {
  if (local.size() != files.size()) throw std::invalid_argument("send_changed: one local hash per file");
  DeployReport report;
  auto tell = [&](std::size_t i, bool sending) {
    if (progress) progress({report.checked, files.size(), report.sent, files[i].local.filename().string(), sending});
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    ++report.checked;
    if (i < remote.size() && i < local.size() && remote[i] == local[i]) {
      tell(i, false);
      continue;
    }
    tell(i, true);
    struct stat st {};
    int fd = ::open(files[i].local.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("cannot read " + files[i].local.string());
    }
    const std::string& dest = files[i].remote;
    const std::string dir = std::filesystem::path(dest).parent_path().string();
    const std::string tmp = dest + ".part-" + local[i].substr(0, 12);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%o", st.st_mode & 0755);
    const std::string script = "mkdir -p " + shell_quote(dir) + " && cat > " + shell_quote(tmp) + " && chmod " + mode + " " +
                               shell_quote(tmp) + " && mv -f " + shell_quote(tmp) + " " + shell_quote(dest);
    auto from_file = within(std::chrono::minutes(10));
    from_file.stdin_fd = fd;
    auto sent = ssh.run_script(script, from_file);
    ::close(fd);
    if (!sent.success())
      throw SshError("sending " + files[i].local.string() + " to " + ssh.describe() + ":" + dest + " failed: " + sent.err);
    ++report.sent;
    report.bytes_sent += static_cast<std::uint64_t>(st.st_size);
    tell(i, false);
  }
  return report;
}

}  // namespace orrery::remote
