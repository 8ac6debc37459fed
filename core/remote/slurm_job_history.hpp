// What Slurm remembers of a job after slurmctld has forgotten it (MinJobAge after its end,
// 300 s by default): the accounting database through `sacct`, when the cluster has one, and
// otherwise the file that JobCompType=jobcomp/filetxt appends one line to per finished job.
// Which of the two a cluster has is read once from `scontrol show config`.
//
// Everything here parses text another program printed (and, in the jobcomp file, text other
// users chose: job names and working folders, written there without any quoting), so each
// parser takes only what it can place without doubt and refuses the rest.
#pragma once

#include "remote/slurm_commands.hpp"

#include <optional>
#include <string>
#include <vector>

namespace orrery::remote {

// Where finished jobs can be looked up on a cluster.
struct SlurmHistorySources {
  bool accounting = false;     // AccountingStorageType is not accounting_storage/none: sacct answers
  std::string jobcomp_file;    // JobCompLoc when JobCompType=jobcomp/filetxt (an absolute path); empty otherwise
  // ClusterName: the cluster whose accounting records sacct must read (a login node may serve
  // several clusters, and sacct reads its own default one). Empty: not named, or not a name
  // (lower-case letters, digits, '_' and '-' only).
  std::string cluster;
};

// `scontrol show config` ("Key = Value" lines). nullopt when the output names no
// AccountingStorageType (not scontrol's answer).
std::optional<SlurmHistorySources> parse_slurm_config(const std::string& show_config);

// The argv of the accounting query for one job (allocation lines only, no header, '|'-separated),
// of the cluster named (--clusters=NAME) unless cluster is empty.
std::vector<std::string> sacct_argv(const std::string& job_id, const std::string& cluster = "");

// One line of sacct_argv's output: JobID|State|ExitCode|Reason|NodeList. "CANCELLED by 0"
// becomes CANCELLED. nullopt unless it has exactly these five fields and a valid job id.
std::optional<SlurmJobState> parse_sacct_line(const std::string& line);

// One line of the jobcomp/filetxt file ("JobId=12 UserId=... Name=... JobState=COMPLETED
// Partition=... ... WorkDir=... ... [ArrayJobId=10 ArrayTaskId=2] DerivedExitCode=0:0 ExitCode=0:0").
// The state is taken only where JobState= starts the run of fixed fields that follows the
// job's name (JobState Partition TimeLimit StartTime EndTime NodeList NodeCnt ProcCnt WorkDir),
// found exactly once; exit code and array task from the fields that end the line. An array
// task's job_id is "ArrayJobId_ArrayTaskId", as Orrery records it. The file has no reason.
std::optional<SlurmJobState> parse_jobcomp_line(const std::string& line);

// The last line of text (sacct's or the jobcomp file's lines) that parse reads as job_id:
// a requeued job has a line per end, the last one is its fate.
std::optional<SlurmJobState> last_state_of(const std::string& text, const std::string& job_id,
                                           std::optional<SlurmJobState> (*parse)(const std::string&));

}  // namespace orrery::remote
