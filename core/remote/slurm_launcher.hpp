// Launching runs on a Slurm target: one run as one job, or a sweep's runs as one job array.
//
// The run folders are made in the project (runs/<id>/ with run.json "starting", scheduler
// "slurm"), the sbatch script is written to each as job.sh, and sbatch submits it; the agent
// then runs inside the allocation and writes the run's files itself. slurm.json in each run
// folder records the job and the state last seen (pending and its reason, running and its
// nodes, the final state), so every client can show it. A job that ends before its agent has
// taken the run over (cancelled while pending, or its script failed) gets its verdict here,
// from Slurm's: the agent never ran, so nobody else writes it.
//
// Local Slurm: the project folder must be reachable from the compute nodes under the same path
// (the usual shared home or scratch of a cluster; the loopback test bed trivially). Through an ssh
// target ("via"), the job's folders live in that target's work folder (<work_dir>/runs/<id>, the
// binaries deployed to <work_dir>/bin by content hash, as for ssh runs), and the local folder
// mirrors them (ssh_launcher.hpp: RemoteRunMirror) once the agent runs.
#pragma once

#include "launch/local_launcher.hpp"
#include "remote/slurm_commands.hpp"
#include "remote/target.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace orrery::remote {

struct RemoteRun;   // ssh_launcher.hpp

struct SlurmBatch {
  std::string target;
  std::vector<std::string> run_ids;                   // array task i runs run_ids[i]
  std::vector<std::filesystem::path> run_dirs;
  std::vector<std::string> job_run_dirs;              // the same folders where the job runs (remote ones through "via")
  std::string script;                                 // job.sh, also written to each run's folder
  std::vector<std::string> sbatch_args;               // given on sbatch's command line (paths may hold any character)
  std::string job_id;                                 // set by submit_slurm
  // The job of run i: "12", or "12_i" for an array.
  std::string job_of(std::size_t i) const { return run_ids.size() > 1 ? job_id + "_" + std::to_string(i) : job_id; }
};

// Makes the runs' folders, run.json and job.sh for specs (one per run; more than one: a job array).
// Throws std::runtime_error / std::invalid_argument with a reason a user can act on.
// via: the connection to the login node of a target with "via" (nullptr for local Slurm).
SlurmBatch prepare_slurm(const runfiles::Project& project, const spec::KindSchema& kind, const std::vector<spec::Spec>& specs,
                         const launch::InstallPaths& paths, const Target& target, const SshConnection* via = nullptr);

// Submits the prepared batch and writes each run's slurm.json. On refusal the runs are marked
// failed with sbatch's message (and SlurmError is thrown).
void submit_slurm(SlurmBatch& batch, const SlurmCommands& slurm);

// slurm.json: {"target", "job", "remote_run_dir", "state", "reason", "nodes", "exit_code", "source", "updated",
// "cancel_requested"} (source: where a purged job's state was read, "sacct" or "jobcomp/filetxt";
// empty: squeue).
struct SlurmJobRecord {
  std::string target, job;
  std::string remote_run_dir;   // where the job runs when reached through ssh; empty: this run folder
  SlurmJobState last;   // the state last seen (state empty: not asked yet)
  double updated = 0;
  bool cancel_requested = false;   // scancel of the job succeeded (cancel_slurm_job)
};
std::optional<SlurmJobRecord> read_slurm_record(const std::filesystem::path& run_dir);
void write_slurm_record(const std::filesystem::path& run_dir, const SlurmJobRecord& record);
// Reads slurm.json, lets change edit it and writes it back, all under an flock of the run's
// folder, so that concurrent updates (a refresh and a cancel, threads or processes) each see the
// other's change. Returns the record written; nullopt (nothing written) without a slurm.json.
// Every change of an existing slurm.json goes through it.
std::optional<SlurmJobRecord> update_slurm_record(const std::filesystem::path& run_dir,
                                                  const std::function<void(SlurmJobRecord&)>& change);
// Sets cancel_requested in slurm.json (update_slurm_record); SlurmError without a slurm.json.
void record_cancel_requested(const std::filesystem::path& run_dir);

// Asks Slurm for the run's job, records what it says in slurm.json, and when the job has ended
// (or is no longer known) while run.json is still "starting", writes the run's verdict:
// cancelled, or failed with Slurm's state, reason, exit code and the last lines of its output.
// Returns the state seen (nullopt: unknown to Slurm). Through "via", both copies of run.json are settled.
std::optional<SlurmJobState> refresh_slurm_run(const std::filesystem::path& run_dir, const SlurmCommands& slurm);
// refresh_slurm_run with the job's state already asked (state: what SlurmCommands::query_all
// answered for slurm.json's job, nullopt: unknown to Slurm), so that one squeue call serves all
// the runs of a target. Throws SlurmError when state is another job's.
std::optional<SlurmJobState> settle_slurm_run(const std::filesystem::path& run_dir, const SlurmCommands& slurm,
                                              const std::optional<SlurmJobState>& state);

// scancel of the run's job (SlurmError with scancel's message), recorded in slurm.json: a job Slurm
// then knows nowhere (an array task cancelled while pending leaves no record, not even in the
// jobcomp file or sacct) is settled as cancelled, not as failed.
void cancel_slurm_job(const std::filesystem::path& run_dir, const SlurmCommands& slurm);

// The run.json where the job runs: this folder's, or the login node's copy through via.
std::optional<runfiles::RunRecord> job_side_record(const std::filesystem::path& run_dir, const SshConnection* via);

// Through via, once the agent has taken the run over on the login node's side (job_side: that
// run.json): the run as a RemoteRunMirror follows it (the job's folder from slurm.json). The CLI's
// follower and the launch form's keepers both hand runs to their mirrors with it.
// Throws std::runtime_error when slurm.json does not say where the job runs.
RemoteRun slurm_run_to_mirror(const std::string& run_id, const std::filesystem::path& run_dir,
                              const runfiles::RunRecord& job_side);

}  // namespace orrery::remote
