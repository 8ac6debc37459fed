// orrery-agent: one per run. Starts the ranks under mpirun, ingests their
// telemetry, is the only writer of the run's files, serves a live feed, and
// obeys control requests (status, cancel, checkpoint: published to the ranks on the
// commands socket, see core/runtime/command_subscriber.hpp). See DESIGN.md points 1-5.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace orrery::agent {

struct AgentOptions {
  std::filesystem::path run_dir;        // holds run.json written by the launcher (status "starting")
  std::filesystem::path bin_dir;        // where orrery-rank lives
  std::string mpirun = "mpirun";
  // Further mpirun arguments, placed before the ranks' program: a target's host list
  // (--host a,b) and its MPI options (e.g. --mca btl_tcp_if_include lo).
  std::vector<std::string> mpirun_args;
  // Inside a Slurm allocation the ranks are started by srun instead (--mpi=pmix: Debian's
  // Open MPI works with PMIx, not pmi2), one task per rank; srun_args go before the program.
  bool use_srun = false;
  std::string srun = "srun";
  std::vector<std::string> srun_args;
  // Ranks on other machines (a multi-node allocation, a host list) cannot reach unix
  // sockets: with an interface (a name such as ib0, an address, or * for all) the
  // telemetry and commands channels listen on TCP there, on a port the system picks,
  // encrypted with CURVE keys made for the run (runtime/curve_keys.hpp). Empty: unix sockets.
  std::string rank_interface;
  std::chrono::milliseconds flush_interval{500};   // run.h5 is flushed at least this often
  std::chrono::milliseconds grace{5000};           // SIGTERM → SIGKILL on cancel
  // The agent's nice value once the ranks are started (priority.hpp); 0 leaves it as is.
  int nice = -5;
};

// Runs the whole life of the run; returns the process exit code (0: run succeeded).
int run_agent(const AgentOptions& options);

}  // namespace orrery::agent
