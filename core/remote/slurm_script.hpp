// The sbatch script of a run (or of a sweep's runs as one job array) on a Slurm target.
//
//   #!/bin/bash
//   #SBATCH --ntasks=4             the spec's ranks
//   #SBATCH --nodes=1              the target's settings: nodes, tasks per node, GPUs per node,
//   #SBATCH --partition=gpu        partition, account, QoS, time limit, extra sbatch lines
//   #SBATCH --array=0-2            a sweep: task i runs the i-th run folder
//   set -eu
//   run_dirs=('/p/runs/a' '/p/runs/b' '/p/runs/c')
//   run_dir="${run_dirs[${SLURM_ARRAY_TASK_ID:-0}]}"
//   exec >>"$run_dir/logs/agent.log" 2>&1
//   module load 'openmpi/4.1'
//   exec '/opt/orrery/bin/orrery-agent' --run-dir "$run_dir" --srun
//
// The agent runs in the batch step on the allocation's first node and starts the ranks
// with `srun --mpi=pmix` (or mpirun, when the target says so). #SBATCH lines hold only values
// the target's checks admit (no newlines, no shell syntax takes effect there: sbatch reads
// them, not a shell); every word of the shell part is shell_quote()d.
#pragma once

#include "remote/target.hpp"

#include <string>
#include <vector>

namespace orrery::remote {

struct BatchScriptInput {
  int ranks = 1;
  std::vector<std::string> run_dirs;   // where the job runs; more than one makes a job array
  std::string agent;                   // path of orrery-agent where the job runs
};

// Throws std::invalid_argument when the ranks cannot fit the target's nodes x tasks per node.
std::string sbatch_script(const SlurmTarget& target, const BatchScriptInput& input);

}  // namespace orrery::remote
