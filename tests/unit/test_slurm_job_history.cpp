// What Slurm remembers of a job slurmctld has purged: `scontrol show config` says whether sacct
// answers and where the jobcomp/filetxt file is; sacct's and the file's lines are read strictly.
// The samples are the real output of Slurm 22.05 (Debian 12) from the test bed
// (tests/e2e/slurm_testbed.py, with accounting), folder names shortened.
#include "remote/slurm_job_history.hpp"

#include <gtest/gtest.h>

using namespace orrery::remote;

namespace {

const char* kConfigWithAccounting =
    "Configuration data as of 2026-11-26T09:00:42\n"
    "AccountingStorageBackupHost = (null)\n"
    "AccountingStorageEnforce = none\n"
    "AccountingStorageHost   = 127.0.0.1\n"
    "AccountingStoragePort   = 46741\n"
    "AccountingStorageType   = accounting_storage/slurmdbd\n"
    "ClusterName             = orrerytest\n"
    "JobCompHost             = localhost\n"
    "JobCompLoc              = /tmp/orr-slurm-q478lzf4/log/jobcomp.txt\n"
    "JobCompPort             = 0\n"
    "JobCompType             = jobcomp/filetxt\n"
    "JobCompUser             = root\n"
    "MinJobAge               = 2 sec\n"
    "\n"
    "Slurmctld(primary) at vm is UP\n";

// jobcomp/filetxt lines: a plain job, one whose name imitates the fields after it, and an array task.
const char* kJobcompCompleted =
    "JobId=48475000 UserId=root(0) GroupId=root(0) Name=wrap JobState=COMPLETED Partition=debug TimeLimit=UNLIMITED "
    "StartTime=2026-11-26T09:00:35 EndTime=2026-11-26T09:00:35 NodeList=orrery-node NodeCnt=1 ProcCnt=1 WorkDir=/work/main "
    "ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account=root QOS=normal WcKey= Cluster=orrerytest "
    "SubmitTime=2026-11-26T09:00:32 EligibleTime=2026-11-26T09:00:32 DerivedExitCode=0:0 ExitCode=0:0 ";
const char* kJobcompFailedOddName =
    "JobId=48475001 UserId=root(0) GroupId=root(0) Name=a b JobState=COMPLETED x JobState=FAILED Partition=debug "
    "TimeLimit=UNLIMITED StartTime=2026-11-26T09:00:35 EndTime=2026-11-26T09:00:35 NodeList=orrery-node NodeCnt=1 ProcCnt=1 "
    "WorkDir=/work/main ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account=root QOS=normal WcKey= "
    "Cluster=orrerytest SubmitTime=2026-11-26T09:00:32 EligibleTime=2026-11-26T09:00:32 DerivedExitCode=0:0 ExitCode=3:0 ";
const char* kJobcompArrayTask =
    "JobId=48475002 UserId=root(0) GroupId=root(0) Name=wrap JobState=FAILED Partition=debug TimeLimit=UNLIMITED "
    "StartTime=2026-11-26T09:00:35 EndTime=2026-11-26T09:00:35 NodeList=orrery-node NodeCnt=1 ProcCnt=1 WorkDir=/work/main "
    "ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account=root QOS=normal WcKey= Cluster=orrerytest "
    "SubmitTime=2026-11-26T09:00:32 EligibleTime=2026-11-26T09:00:35 ArrayJobId=48475002 ArrayTaskId=1 DerivedExitCode=0:0 "
    "ExitCode=1:0 ";

}  // namespace

TEST(SlurmJobHistory, ConfigNamesAccountingAndTheJobcompFile) {
  auto with = parse_slurm_config(kConfigWithAccounting);
  ASSERT_TRUE(with);
  EXPECT_TRUE(with->accounting);
  EXPECT_EQ(with->jobcomp_file, "/tmp/orr-slurm-q478lzf4/log/jobcomp.txt");
  EXPECT_EQ(with->cluster, "orrerytest");
  // sacct reads the cluster scontrol named, not the login node's default one.
  EXPECT_EQ(sacct_argv("48475002_1", with->cluster),
            (std::vector<std::string>{"sacct", "--clusters=orrerytest", "-j", "48475002_1", "-X", "-n", "-P", "-o",
                                      "JobID,State,ExitCode,Reason,NodeList"}));
  EXPECT_EQ(sacct_argv("12").at(1), "-j");   // no cluster named: sacct's default
  for (const char* odd : {"Orrery", "a b", "x;rm", "-x", "a/b"}) {
    auto config = parse_slurm_config(std::string("AccountingStorageType = accounting_storage/slurmdbd\nClusterName = ") + odd + "\n");
    ASSERT_TRUE(config);
    EXPECT_EQ(config->cluster, "") << odd;   // not a cluster name: not passed on
  }

  auto without = parse_slurm_config("AccountingStorageType   = accounting_storage/none\n"
                                    "JobCompLoc              = /var/log/slurm/jobcomp.log\n"
                                    "JobCompType             = jobcomp/none\n");
  ASSERT_TRUE(without);
  EXPECT_FALSE(without->accounting);
  EXPECT_EQ(without->jobcomp_file, "");   // a location without the filetxt plugin writes nothing there

  auto relative = parse_slurm_config("AccountingStorageType = accounting_storage/none\nJobCompType = jobcomp/filetxt\n"
                                     "JobCompLoc = jobcomp.txt\n");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->jobcomp_file, "");   // not a path we can name to grep without doubt
  EXPECT_FALSE(parse_slurm_config("scontrol: error: Unable to contact slurm controller (connect failure)\n"));
}

TEST(SlurmJobHistory, SacctLines) {
  auto done = parse_sacct_line("48475000|COMPLETED|0:0|None|orrery-node");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->job_id, "48475000");
  EXPECT_EQ(done->state, "COMPLETED");
  EXPECT_EQ(done->exit_code, "0:0");
  EXPECT_EQ(done->nodes, "orrery-node");
  EXPECT_EQ(done->source, "sacct");
  EXPECT_TRUE(done->ended());
  EXPECT_EQ(done->describe(), "COMPLETED [sacct]");

  auto failed = parse_sacct_line("48475001|FAILED|3:0|None|orrery-node");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->describe(), "FAILED (exit code 3:0) [sacct]");

  auto cancelled = parse_sacct_line("48475005|CANCELLED by 0|0:0|Resources|None assigned");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->state, "CANCELLED");
  EXPECT_EQ(cancelled->nodes, "");
  EXPECT_EQ(cancelled->describe(), "CANCELLED (Resources) [sacct]");

  auto task = parse_sacct_line("48475002_1|FAILED|1:0|None|orrery-node");
  ASSERT_TRUE(task);
  EXPECT_EQ(task->job_id, "48475002_1");

  for (const char* bad : {"", "48475000|COMPLETED|0:0|None", "48475000|COMPLETED|0:0|None|n|extra",
                          "48475000;rm|COMPLETED|0:0|None|n", "48475000|completed|0:0|None|n", "48475000|COMPLETED|zero|None|n",
                          "sacct: error: Problem talking to the database: Connection refused"})
    EXPECT_FALSE(parse_sacct_line(bad)) << bad;
}

TEST(SlurmJobHistory, JobcompLines) {
  auto done = parse_jobcomp_line(kJobcompCompleted);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->job_id, "48475000");
  EXPECT_EQ(done->state, "COMPLETED");
  EXPECT_EQ(done->exit_code, "0:0");
  EXPECT_EQ(done->nodes, "orrery-node");
  EXPECT_EQ(done->describe(), "COMPLETED [jobcomp/filetxt]");

  // The name "a b JobState=COMPLETED x" does not fool it: the real JobState starts the fixed run.
  auto failed = parse_jobcomp_line(kJobcompFailedOddName);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, "FAILED");
  EXPECT_EQ(failed->describe(), "FAILED (exit code 3:0) [jobcomp/filetxt]");

  // An array task's line carries the raw id of the task; Orrery knows it as job_task.
  auto task = parse_jobcomp_line(kJobcompArrayTask);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->job_id, "48475002_1");
  EXPECT_EQ(task->state, "FAILED");
}

TEST(SlurmJobHistory, JobcompRefusesWhatItCannotPlace) {
  // A name imitating the whole run of fields: two candidates, the line is refused.
  std::string twice = kJobcompCompleted;
  twice.replace(twice.find("Name=wrap"), 9,
                "Name=x JobState=COMPLETED Partition=p TimeLimit=1 StartTime=s EndTime=e NodeList=n NodeCnt=1 ProcCnt=1 WorkDir=/w");
  EXPECT_FALSE(parse_jobcomp_line(twice));
  std::string no_exit = kJobcompCompleted;
  no_exit.replace(no_exit.find("ExitCode=0:0 ", no_exit.find("DerivedExitCode=") + 20), 13, "");
  EXPECT_FALSE(parse_jobcomp_line(no_exit)) << no_exit;
  for (const char* bad : {"", "JobId=12", "JobId=x1 JobState=COMPLETED", "garbage line with JobId=12 in it"})
    EXPECT_FALSE(parse_jobcomp_line(bad)) << bad;
}

TEST(SlurmJobHistory, LastLineOfTheJobWins) {
  std::string file = std::string(kJobcompArrayTask) + "\n" + kJobcompCompleted + "\n" + kJobcompFailedOddName + "\n";
  auto task = last_state_of(file, "48475002_1", parse_jobcomp_line);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->exit_code, "1:0");
  EXPECT_FALSE(last_state_of(file, "48475002", parse_jobcomp_line));   // the array's id is none of its tasks
  EXPECT_FALSE(last_state_of(file, "99", parse_jobcomp_line));
  // A requeued job: its last end is its fate.
  auto requeued = last_state_of("7|NODE_FAIL|0:0|None|n1\n7|COMPLETED|0:0|None|n1\n", "7", parse_sacct_line);
  ASSERT_TRUE(requeued);
  EXPECT_EQ(requeued->state, "COMPLETED");
}
