// orrery-agent --run-dir DIR: runs one run to its end. Started detached by `orrery run`.
#include "agent/agent.hpp"
#include "launch/process.hpp"
#include "remote/target.hpp"
#include "runfiles/run_record.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"orrery-agent: starts a run's ranks, records their telemetry, serves the live feed"};
  orrery::agent::AgentOptions options;
  std::string run_dir;
  int flush_ms = 500, grace_ms = 5000;
  app.add_option("--run-dir", run_dir, "Run folder holding run.json")->required()->check(CLI::ExistingDirectory);
  app.add_option("--mpirun", options.mpirun, "MPI launcher")->capture_default_str();
  app.add_option("--mpirun-arg", options.mpirun_args,
                 "One further mpirun argument (repeat it; write --mpirun-arg=--mca for values starting with -)");
  app.add_flag("--srun", options.use_srun, "Start the ranks with srun --mpi=pmix (inside a Slurm allocation) instead of mpirun");
  app.add_option("--srun-arg", options.srun_args, "One further srun argument (repeat it; write --srun-arg=--x for values starting with -)");
  app.add_option("--rank-interface", options.rank_interface,
                 "Ranks on other machines: listen for them over TCP on this interface or address (ib0, 10.0.0.5, * for all), "
                 "CURVE-encrypted with keys made for the run (default: unix sockets, ranks on this machine only)")
      ->check([](const std::string& s) {
        return orrery::remote::valid_rank_interface(s)
                   ? std::string()
                   : std::string("an interface name or address: letters, digits, '.', ':', '_', '-', '*', '[', ']'");
      });
  app.add_option("--flush-ms", flush_ms, "Flush run.h5 at least this often")->check(CLI::Range(50, 1000))->capture_default_str();
  app.add_option("--grace-ms", grace_ms, "Cancel: time between SIGTERM and SIGKILL")->check(CLI::Range(100, 600000))->capture_default_str();
  app.add_option("--nice", options.nice,
                 "Nice value the agent takes once the ranks are started, ahead of them (0: unchanged; needs root or CAP_SYS_NICE)")
      ->envname("ORRERY_AGENT_NICE")
      ->check(CLI::Range(-20, 19))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.run_dir = std::filesystem::absolute(run_dir);
  options.bin_dir = orrery::launch::executable_dir();
  options.flush_interval = std::chrono::milliseconds(flush_ms);
  options.grace = std::chrono::milliseconds(grace_ms);
  try {
    return orrery::agent::run_agent(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-agent: %s\n", e.what());
    // Leave a readable verdict behind when we can.
    try {
      auto record = orrery::runfiles::read_run_record(options.run_dir);
      record.status = orrery::runfiles::RunStatus::Failed;
      record.reason = std::string("agent error: ") + e.what();
      orrery::runfiles::write_run_record(options.run_dir, record);
    } catch (...) {
    }
    return 1;
  }
}
