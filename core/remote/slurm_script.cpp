#include "remote/slurm_script.hpp"

#include "remote/shell_quote.hpp"

#include <stdexcept>

namespace orrery::remote {

std::string sbatch_script(const SlurmTarget& t, const BatchScriptInput& in) {
  if (in.run_dirs.empty()) throw std::invalid_argument("a batch script needs at least one run");
  if (t.tasks_per_node > 0 && static_cast<long long>(t.nodes) * t.tasks_per_node < in.ranks)
    throw std::invalid_argument(std::to_string(in.ranks) + " ranks do not fit " + std::to_string(t.nodes) + " node(s) x " +
                                std::to_string(t.tasks_per_node) + " tasks per node of the target");
  std::string s = "#!/bin/bash\n";
  auto option = [&s](const std::string& text) { s += "#SBATCH " + text + "\n"; };
  option("--ntasks=" + std::to_string(in.ranks));
  option("--nodes=" + std::to_string(t.nodes));
  if (t.tasks_per_node > 0) option("--ntasks-per-node=" + std::to_string(t.tasks_per_node));
  if (t.gpus_per_node > 0) option("--gpus-per-node=" + std::to_string(t.gpus_per_node));
  if (!t.partition.empty()) option("--partition=" + t.partition);
  if (!t.account.empty()) option("--account=" + t.account);
  if (!t.qos.empty()) option("--qos=" + t.qos);
  if (!t.time.empty()) option("--time=" + t.time);
  if (in.run_dirs.size() > 1) option("--array=0-" + std::to_string(in.run_dirs.size() - 1));
  for (const auto& extra : t.extra_sbatch) option(extra);
  // The batch script's own output (module load, the agent's lines) goes to the run's logs/agent.log,
  // as for a local run; Slurm's --output keeps only what slurmstepd itself says.
  s += "set -eu\n";
  s += "run_dirs=(";
  for (std::size_t i = 0; i < in.run_dirs.size(); ++i) s += (i ? " " : "") + shell_quote(in.run_dirs[i]);
  s += ")\n";
  s += "run_dir=\"${run_dirs[${SLURM_ARRAY_TASK_ID:-0}]}\"\n";
  s += "exec >>\"$run_dir/logs/agent.log\" 2>&1\n";
  for (const auto& m : t.modules) s += "module load " + shell_quote(m) + "\n";
  s += "exec " + shell_quote(in.agent) + " --run-dir \"$run_dir\"" + (t.launcher == "srun" ? " --srun" : "");
  if (!t.rank_interface.empty()) s += " " + shell_quote("--rank-interface=" + t.rank_interface);
  s += "\n";
  return s;
}

}  // namespace orrery::remote
