// Host keys seen for the first time: fetching the keys a host offers (ssh-keyscan) with
// their fingerprints (ssh-keygen -lf), so a person can compare them with what the host's
// administrator publishes, and recording exactly those keys in the target's known_hosts
// once the person trusts them. Both through argv lists, never a shell. The keys recorded
// are the ones shown: a key swapped between the question and the answer fails the next
// connection's strict check instead of being trusted.
#pragma once

#include "remote/target.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace orrery::remote {

struct ScannedHostKey {
  std::string known_hosts_line;   // "[127.0.0.1]:2222 ssh-ed25519 AAAA..." as it goes into known_hosts
  std::string type;               // "ssh-ed25519"
  std::string fingerprint;        // "SHA256:...", as ssh prints it when it asks
};

// Where ssh looks a target up: its host name, port, known_hosts files and key alias, as
// `ssh -G` resolves them (so ~/.ssh/config aliases, HostName and Port hold).
struct HostKeyPlace {
  std::string host;               // the name known_hosts entries carry (HostKeyAlias or HostName)
  std::string address;            // where to ask for the keys (HostName)
  int port = 22;
  std::filesystem::path known_hosts;   // the first UserKnownHostsFile: where new keys are written
};
HostKeyPlace host_key_place(const SshTarget& target);

// The keys target offers now. Throws SshError when none can be fetched.
std::vector<ScannedHostKey> scan_host_keys(const SshTarget& target);

// Appends these keys to the target's known_hosts (created private with its folder when missing).
// Throws SshError when a key does not look like a scanned one or the file cannot be written.
void trust_host_keys(const SshTarget& target, const std::vector<ScannedHostKey>& keys);

}  // namespace orrery::remote
