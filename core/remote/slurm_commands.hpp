// Slurm's own commands (sbatch, scontrol, squeue, sinfo, scancel, sacct), run on this machine or
// on a cluster's login node through an ssh target; always argv lists, each word quoted for the
// remote shell by SshConnection. Job states are read with one `squeue --jobs=ID,ID,...` call for
// all the jobs asked at once while slurmctld keeps them (no accounting database needed; MinJobAge
// after their end, 300 s by default), then, for the ids squeue no longer answers for, from what
// the cluster remembers (slurm_job_history.hpp): sacct where it has accounting, else the
// jobcomp/filetxt file.
#pragma once

#include "remote/captured_command.hpp"
#include "remote/ssh_connection.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace orrery::remote {

class SlurmError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One job (or one task of a job array) as Slurm shows it.
struct SlurmJobState {
  std::string job_id;       // "12", or "12_3" for an array task
  std::string state;        // PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::string reason;       // why it waits or why it ended (Resources, JobHeldUser, NonZeroExitCode, None)
  std::string nodes;        // the allocated nodes once running
  std::string exit_code;    // "0:0": exit code and signal of the batch script
  std::string source;       // where a finished job was read after slurmctld forgot it: "sacct", "jobcomp/filetxt"; empty: squeue
  bool pending() const { return state == "PENDING" || state == "REQUEUED" || state == "CONFIGURING"; }
  bool ended() const;       // a final state: the job holds no resources any more
  // "PENDING (Resources)", "RUNNING on node1", "FAILED (NonZeroExitCode, exit code 1:0)", "COMPLETED [sacct]"
  std::string describe() const;
};

// A Slurm job id as sbatch prints it, or an array task "12_3": digits, '_' and digits.
bool valid_job_id(const std::string& id);

// The argv of one squeue call for the states of several jobs (each a valid_job_id; ended jobs
// slurmctld still keeps included, an array's tasks one line each): every line is
// "JobID|State|Reason|NodeList|wait status|", no header. No user-chosen text (job names, folders)
// is printed, so '|' cannot appear inside a field.
std::vector<std::string> squeue_states_argv(const std::vector<std::string>& job_ids);

// One line of squeue_states_argv's output; the wait status becomes scontrol's "exit:signal".
// nullopt unless it has exactly those five fields, a valid job id, an upper-case state and a
// numeric status.
std::optional<SlurmJobState> parse_squeue_line(const std::string& line);

class SlurmCommands {
 public:
  // via: the connection to the login node, or nullptr for this machine (it must outlive this object).
  explicit SlurmCommands(const SshConnection* via = nullptr);

  CapturedOutput run(const std::vector<std::string>& argv, const CaptureOptions& options = within(std::chrono::seconds(30))) const;

  // sbatch --parsable ARGS SCRIPT; returns the job id. Throws SlurmError with sbatch's message.
  std::string submit(const std::vector<std::string>& sbatch_args, const std::string& script_path) const;
  // The job's state: from squeue while slurmctld keeps it; once purged, from sacct when the
  // cluster has accounting, else from the jobcomp/filetxt file (read where the commands run).
  // nullopt when none of them knows it (unknown_job_note() says what was asked).
  // Throws SlurmError when the controller cannot be asked.
  std::optional<SlurmJobState> query(const std::string& job_id) const;
  // The states of several jobs (array tasks "12_3" among them) with one squeue call for all of
  // them; only the ids squeue does not answer for go to the fall-backs of query(), one by one.
  // Every id asked is a key of the result. Throws SlurmError for an id that is not valid_job_id
  // (nothing is asked then) or when the controller cannot be asked.
  std::map<std::string, std::optional<SlurmJobState>> query_all(const std::vector<std::string>& job_ids) const;
  // Why the last job query() found nowhere is unknown: "no longer known to Slurm (purged by
  // slurmctld after MinJobAge; no accounting (sacct); no jobcomp/filetxt file)", naming what was
  // looked at.
  std::string unknown_job_note() const;
  // scancel JOB; throws SlurmError with scancel's message.
  void cancel(const std::string& job_id) const;

  std::string where() const;   // "this machine" or user@host:port
  const SshConnection* via() const { return via_; }

 private:
  struct History;   // where finished jobs are found, read once (shared by copies: the same cluster)
  std::optional<SlurmJobState> query_history(const std::string& job_id) const;

  const SshConnection* via_;
  std::shared_ptr<History> history_;
};

}  // namespace orrery::remote
