// "Test connection" of a target: what `orrery targets test NAME` prints and what the
// workbench's cluster panel shows, gathered once here so both ask the same questions.
//   ssh:   reachability and authentication (opening the control master), the remote system
//          (uname), the remote MPI (`mpirun --version`) and whether the deployed orrery-agent
//          is this installation's;
//   slurm: the same connection when it goes through an ssh login node ("via"), Slurm's
//          version, its partitions (sinfo) and the user's queue (squeue --me).
// Blocking (ssh and Slurm calls with timeouts): the GUI calls it off its UI thread.
#pragma once

#include "remote/host_keys.hpp"
#include "remote/target.hpp"

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace orrery::remote {

struct TargetCheckOptions {
  bool accept_new_host_key = false;         // trust a host key seen for the first time (CLI --accept-new-host-key)
  bool scan_unknown_host_key = false;       // on an unknown key, fetch its fingerprints (to ask the user)
  std::filesystem::path local_agent;        // this installation's orrery-agent, compared with the deployed one
  const std::atomic<bool>* cancelled = nullptr;   // checked between the remote calls
};

struct TargetCheck {
  enum class Outcome { Passed, Failed, UnknownHostKey, Cancelled };
  std::string target;
  Outcome outcome = Outcome::Failed;
  bool connected = false;   // reached (and authenticated, for ssh); this machine always is
  std::string connection;   // "connected to u@h:p (new connection, 120 ms)", or why it failed
  bool warm = false;        // the control master was already running
  std::string system;       // uname -srm
  std::string mpi;          // first line of `mpirun --version`, or why it is not usable
  std::string runtime;      // state of the deployed orrery-agent
  std::string slurm;        // "slurm-wlm 22.05.8 on this machine", or why Slurm is not usable
  // sinfo / squeue rows, one vector of fields per line (headers: kPartitionColumns, kQueueColumns).
  std::vector<std::vector<std::string>> partitions, queue;
  std::string partitions_error, queue_error;
  // Outcome::UnknownHostKey: the ssh target whose key is unknown (the target itself or its "via")
  // and, with scan_unknown_host_key, the keys it offers now.
  SshTarget unknown_host;
  std::vector<ScannedHostKey> offered_keys;
  bool passed() const { return outcome == Outcome::Passed; }
};

inline const std::vector<std::string> kPartitionColumns = {"PARTITION", "AVAIL", "TIMELIMIT", "NODES", "STATE", "NODELIST"};
inline const std::vector<std::string> kQueueColumns = {"JOBID", "PARTITION", "NAME", "STATE", "TIME", "NODELIST(REASON)"};

// all: every target of the project (a Slurm target's "via" is looked up there). Never throws
// for a target that cannot be reached: the check says why.
TargetCheck check_target(const Target& target, const std::vector<Target>& all, const TargetCheckOptions& options);

std::string to_string(TargetCheck::Outcome outcome);   // "passed", "failed", "unknown host key", "cancelled"

}  // namespace orrery::remote
