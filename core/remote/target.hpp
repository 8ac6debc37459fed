// Where runs go: the targets a project names in orrery.json under "targets".
//
//   "targets": {
//     "local":   {"type": "local"},
//     "gpu-box": {"type": "ssh", "host": "gpu1.lab", "port": 22, "user": "ana",
//                 "identity_file": "~/.ssh/id_ed25519", "known_hosts_file": "...",
//                 "work_dir": "/scratch/ana/orrery", "mpirun": "mpirun",
//                 "mpirun_args": ["--mca", "btl", "tcp,self"], "hosts": ["gpu1", "gpu2"],
//                 "rank_interface": "eth0"},
//     "cluster": {"type": "slurm", "via": "gpu-box", "partition": "gpu", "account": "p1",
//                 "qos": "normal", "time": "01:00:00", "nodes": 2, "tasks_per_node": 4,
//                 "gpus_per_node": 4, "extra_sbatch": ["--exclusive"], "modules": ["openmpi/4.1"],
//                 "launcher": "srun", "rank_interface": "ib0"}
//   }
//
// Host and user names become ssh arguments, and a leading '-' would make them
// options: they are checked against the characters host and user names use.
// Every value is later passed as one argv element or quoted for the remote shell.
#pragma once

#include "spec/kind_schema.hpp"   // spec::Issue

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::remote {

enum class TargetType { Local, Ssh, Slurm };
std::string to_string(TargetType type);

struct SshTarget {
  std::string host;                       // name or address, as ssh (and ~/.ssh/config) knows it
  int port = 0;                           // 0: ssh's own default / config
  std::string user;                       // empty: ssh's own default / config
  std::string identity_file;              // empty: the agent / ssh config
  std::string known_hosts_file;           // empty: ~/.ssh/known_hosts
  std::string work_dir = "orrery";        // on the remote side; relative paths start at the remote home
  std::string mpirun = "mpirun";
  std::vector<std::string> mpirun_args;   // extra arguments of the remote mpirun
  std::vector<std::string> hosts;         // hosts for multi-host mpirun (empty: the target host only)
  int control_persist_s = 600;            // how long an idle ssh connection is kept for the next call
  // Ranks on other hosts than the agent's reach it over TCP on this interface ("eth0",
  // an address, "*"), CURVE-encrypted; empty: unix sockets (ranks on the agent's host).
  std::string rank_interface;
};

struct SlurmTarget {
  std::string via;                        // name of the ssh target that reaches the login node; empty: this machine
  std::string partition, account, qos, time;
  int nodes = 1, tasks_per_node = 0, gpus_per_node = 0;
  std::vector<std::string> extra_sbatch;  // further sbatch options, one per element ("--exclusive")
  std::vector<std::string> modules;       // `module load` before the agent starts
  std::string launcher = "srun";          // how the agent starts the ranks: "srun" (--mpi=pmix) or "mpirun"
  std::string rank_interface;             // as SshTarget's: needed when the ranks span several nodes
};

struct Target {
  std::string name;
  TargetType type = TargetType::Local;
  SshTarget ssh;                          // Ssh
  SlurmTarget slurm;                      // Slurm
};

// Reads settings["targets"] (an object; absent means only "local"). Each problem
// becomes an Issue with its JSON path ($.targets.NAME.field); a target with a
// problem is left out. "local" always exists.
std::vector<Target> parse_targets(const nlohmann::json& settings, std::vector<spec::Issue>* issues);

// Where a target runs, for a listing: "this machine", "ana@gpu1:22  /scratch/ana/orrery", "via gpu-box  partition gpu".
std::string describe_location(const Target& target);

// The target of that name, or nullopt.
std::optional<Target> find_target(const std::vector<Target>& targets, std::string_view name);

// Host names, IPv4/IPv6 addresses and ssh config aliases: letters, digits, '.', '-', '_', ':'; not starting with '-'.
bool valid_host(std::string_view host);
// Where an agent listens for ranks of other hosts: an interface name, an IPv4/IPv6 address
// or "*": letters, digits, '.', ':', '_', '-', '*', '[', ']'; not starting with '-'; at most 64.
bool valid_rank_interface(std::string_view name);

// POSIX-portable user names: letters, digits, '.', '_', '-'; not starting with '-'; at most 32.
bool valid_user(std::string_view user);

}  // namespace orrery::remote
