// The sbatch script of a Slurm target and the reading of `scontrol show job -o`: every target
// setting becomes its #SBATCH line, shell words stay quoted whatever they hold, ranks that
// cannot fit the nodes are refused, and job states (arrays included) are read as Slurm prints them.
#include "remote/slurm_commands.hpp"
#include "remote/slurm_script.hpp"

#include <gtest/gtest.h>

using namespace orrery::remote;

TEST(SlurmScript, TargetSettingsBecomeSbatchLines) {
  SlurmTarget t;
  t.partition = "gpu";
  t.account = "p1";
  t.qos = "normal";
  t.time = "01:00:00";
  t.nodes = 2;
  t.tasks_per_node = 4;
  t.gpus_per_node = 4;
  t.extra_sbatch = {"--exclusive", "--constraint=a100"};
  t.modules = {"openmpi/4.1"};
  auto s = sbatch_script(t, {8, {"/p/runs/a"}, "/opt/orrery/bin/orrery-agent"});
  for (const char* line : {"#!/bin/bash\n", "#SBATCH --ntasks=8\n", "#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n",
                           "#SBATCH --gpus-per-node=4\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=p1\n",
                           "#SBATCH --qos=normal\n", "#SBATCH --time=01:00:00\n", "#SBATCH --exclusive\n",
                           "#SBATCH --constraint=a100\n", "module load 'openmpi/4.1'\n",
                           "exec '/opt/orrery/bin/orrery-agent' --run-dir \"$run_dir\" --srun\n"})
    EXPECT_NE(s.find(line), std::string::npos) << line << "\n" << s;
  EXPECT_EQ(s.find("--array"), std::string::npos);
  // Every #SBATCH line comes before the first command (sbatch stops reading them there).
  EXPECT_LT(s.rfind("#SBATCH"), s.find("set -eu"));
}

TEST(SlurmScript, ArrayAndQuoting) {
  SlurmTarget t;
  t.launcher = "mpirun";
  auto s = sbatch_script(t, {2, {"/p/runs/a", "/p/it's $(here)", "/p/runs/c"}, "/x y/orrery-agent"});
  EXPECT_NE(s.find("#SBATCH --array=0-2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("run_dirs=('/p/runs/a' '/p/it'\\''s $(here)' '/p/runs/c')\n"), std::string::npos) << s;
  EXPECT_NE(s.find("exec '/x y/orrery-agent' --run-dir \"$run_dir\"\n"), std::string::npos) << s;   // no --srun
  t.rank_interface = "ib0";   // ranks on several nodes reach the agent over TCP
  s = sbatch_script(t, {2, {"/p/runs/a"}, "/x y/orrery-agent"});
  EXPECT_NE(s.find("exec '/x y/orrery-agent' --run-dir \"$run_dir\" '--rank-interface=ib0'\n"), std::string::npos) << s;
}

TEST(SlurmScript, RanksThatDoNotFitAreRefused) {
  SlurmTarget t;
  t.nodes = 2;
  t.tasks_per_node = 2;
  EXPECT_THROW(sbatch_script(t, {5, {"/r"}, "/a"}), std::invalid_argument);
  EXPECT_NO_THROW(sbatch_script(t, {4, {"/r"}, "/a"}));
  EXPECT_THROW(sbatch_script(t, {1, {}, "/a"}), std::invalid_argument);
}

// Lines as squeue_states_argv's call printed them on the Slurm 22.05 test bed.
TEST(SlurmJobState, ReadsSqueueLines) {
  auto pending = parse_squeue_line("4516000_2|PENDING|JobHeldUser||0|");
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->job_id, "4516000_2");
  EXPECT_TRUE(pending->pending());
  EXPECT_FALSE(pending->ended());
  EXPECT_EQ(pending->describe(), "PENDING (JobHeldUser)");

  auto failed = parse_squeue_line("6396002|FAILED|NonZeroExitCode|orrery-node|768|");   // exit 3: status 3 << 8
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->ended());
  EXPECT_EQ(failed->exit_code, "3:0");
  EXPECT_EQ(failed->describe(), "FAILED (NonZeroExitCode, exit code 3:0)");

  auto killed = parse_squeue_line("17|CANCELLED|None|node1|9|");   // SIGKILL
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->describe(), "CANCELLED (exit code 0:9)");

  auto running = parse_squeue_line("6396000_1|RUNNING|None|node[1-2]|0|");
  ASSERT_TRUE(running);
  EXPECT_EQ(running->describe(), "RUNNING on node[1-2]");
  EXPECT_EQ(running->exit_code, "0:0");

  for (const char* bad : {"", "slurm_load_jobs error: Invalid job id specified", "12|RUNNING|None|n1|0",
                          "12|RUNNING|None|n1|0|x", "12|RUNNING|None|n1|0||", "12|RUNNING|None|n1|", "12;x|RUNNING|None|n1|0|",
                          "6396000_[0-2]|PENDING|None||0|", "12|running|None|n1|0|", "12|RUNNING|None|n1|-1|",
                          "12|RUNNING|None|n1|99999999999|", "12|RUNNING|No\tne|n1|0|", "12||None|n1|0|"})
    EXPECT_FALSE(parse_squeue_line(bad)) << bad;
}

TEST(SlurmJobState, OneSqueueCallNamesEveryJob) {
  EXPECT_EQ(squeue_states_argv({"12_0", "12_1", "13"}),
            (std::vector<std::string>{"squeue", "--jobs=12_0,12_1,13", "--states=all", "--array", "--noheader",
                                      "--Format=JobArrayID:|,State:|,Reason:|,NodeList:|,exit_code:|"}));
  // An id that is not one is refused before anything runs (the whole list: no half-asked round).
  EXPECT_THROW(SlurmCommands().query_all({"12_0", "13,14"}), SlurmError);
  EXPECT_THROW(SlurmCommands().query_all({"--states=x"}), SlurmError);
  EXPECT_TRUE(SlurmCommands().query_all({}).empty());
}

TEST(SlurmJobState, JobIds) {
  for (const char* ok : {"1", "12345", "12_3"}) EXPECT_TRUE(valid_job_id(ok)) << ok;
  for (const char* bad : {"", "_1", "1_", "1_2_3", "12;rm", "-1", "12 13", "abc"}) EXPECT_FALSE(valid_job_id(bad)) << bad;
}
