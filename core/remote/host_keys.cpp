#include "remote/host_keys.hpp"

#include "remote/captured_command.hpp"
#include "remote/ssh_connection.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace orrery::remote {

namespace {

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool only_chars(const std::string& s, std::string_view allowed_punctuation) {
  if (s.empty()) return false;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && allowed_punctuation.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// A key type ("ssh-ed25519", "ecdsa-sha2-nistp256", "sk-ssh-ed25519@openssh.com") and its base64 blob.
bool looks_like_key(const std::string& type, const std::string& blob) {
  return only_chars(type, "-@.") && only_chars(blob, "+/=");
}

// The host name known_hosts entries carry: "host" on port 22, "[host]:port" elsewhere.
std::string entry_name(const HostKeyPlace& place) {
  return place.port == 22 ? place.host : "[" + place.host + "]:" + std::to_string(place.port);
}

std::string fingerprint_of(const std::string& known_hosts_line) {
  CaptureOptions o = within(std::chrono::seconds(10));
  o.input = known_hosts_line + "\n";
  auto r = run_captured({"ssh-keygen", "-l", "-f", "-"}, o);
  auto words = words_of(r.out);   // "256 SHA256:... [host]:port (ED25519)"
  if (!r.success() || words.size() < 2) throw SshError("ssh-keygen could not read a scanned host key: " + r.err);
  return words[1];
}

}  // namespace

HostKeyPlace host_key_place(const SshTarget& target) {
  if (!valid_host(target.host)) throw SshError("invalid host name \"" + target.host + "\"");
  std::vector<std::string> argv = {"ssh", "-G"};
  if (target.port) argv.insert(argv.end(), {"-p", std::to_string(target.port)});
  if (!target.known_hosts_file.empty()) argv.insert(argv.end(), {"-o", "UserKnownHostsFile=" + target.known_hosts_file});
  argv.insert(argv.end(), {"--", target.host});
  auto r = run_captured(argv, within(std::chrono::seconds(10)));
  if (!r.success()) throw SshError("ssh -G " + target.host + " failed: " + r.err);
  HostKeyPlace place;
  std::string alias;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto w = words_of(line);
    if (w.size() < 2) continue;
    if (w[0] == "hostname") place.address = w[1];
    else if (w[0] == "port") place.port = std::atoi(w[1].c_str());
    else if (w[0] == "userknownhostsfile") place.known_hosts = w[1];
    else if (w[0] == "hostkeyalias" && w[1] != "none") alias = w[1];
  }
  if (place.address.empty() || !valid_host(place.address) || place.port <= 0 || place.known_hosts.empty())
    throw SshError("ssh -G " + target.host + " did not say where the host is and where its keys are kept");
  place.host = alias.empty() ? place.address : alias;
  return place;
}

std::vector<ScannedHostKey> scan_host_keys(const SshTarget& target) {
  auto place = host_key_place(target);
  auto r = run_captured({"ssh-keyscan", "-T", "5", "-p", std::to_string(place.port), "--", place.address},
                        within(std::chrono::seconds(20)));
  std::vector<ScannedHostKey> keys;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto w = words_of(line);
    if (w.size() != 3 || w[0].starts_with("#") || !looks_like_key(w[1], w[2])) continue;
    ScannedHostKey key;
    key.type = w[1];
    key.known_hosts_line = entry_name(place) + " " + w[1] + " " + w[2];
    key.fingerprint = fingerprint_of(key.known_hosts_line);
    keys.push_back(std::move(key));
  }
  if (keys.empty())
    throw SshError("no host key could be fetched from " + place.address + " port " + std::to_string(place.port) +
                   (r.err.empty() ? std::string() : ": " + r.err.substr(0, r.err.find('\n'))));
  return keys;
}

void trust_host_keys(const SshTarget& target, const std::vector<ScannedHostKey>& keys) {
  auto place = host_key_place(target);
  const std::string name = entry_name(place);
  for (const auto& k : keys) {
    auto w = words_of(k.known_hosts_line);
    if (w.size() != 3 || w[0] != name || !looks_like_key(w[1], w[2]) || k.known_hosts_line.find('\n') != std::string::npos)
      throw SshError("refusing to record \"" + k.known_hosts_line + "\": not a key scanned from " + name);
  }
  auto dir = place.known_hosts.parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw SshError("cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  // A file that does not end its last line would glue our first entry onto it.
  bool needs_newline = false;
  if (std::ifstream old(place.known_hosts, std::ios::binary | std::ios::ate); old && old.tellg() > 0) {
    old.seekg(-1, std::ios::end);
    needs_newline = old.get() != '\n';
  }
  std::ofstream out(place.known_hosts, std::ios::app);
  if (needs_newline) out << "\n";
  for (const auto& k : keys) out << k.known_hosts_line << "\n";
  out.close();
  if (!out) throw SshError("cannot write " + place.known_hosts.string());
}

}  // namespace orrery::remote
