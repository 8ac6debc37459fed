// Targets in orrery.json and the quoting of remote commands: bad host and user names
// are refused with their JSON path, and quoted words reach a POSIX shell unchanged.
#include "remote/captured_command.hpp"
#include "remote/shell_quote.hpp"
#include "remote/target.hpp"

#include <gtest/gtest.h>

using namespace orrery::remote;
using nlohmann::json;

namespace {

std::vector<orrery::spec::Issue> issues_of(const json& settings, std::vector<Target>* targets = nullptr) {
  std::vector<orrery::spec::Issue> issues;
  auto t = parse_targets(settings, &issues);
  if (targets) *targets = t;
  return issues;
}

bool has_issue(const std::vector<orrery::spec::Issue>& issues, const std::string& path) {
  for (const auto& i : issues)
    if (i.path == path) return true;
  return false;
}

}  // namespace

TEST(RemoteTarget, ParsesSshAndSlurmTargets) {
  json settings = {{"targets",
                    {{"box", {{"type", "ssh"}, {"host", "gpu1.lab"}, {"port", 2222}, {"user", "ana"},
                              {"identity_file", "/home/ana/.ssh/id"}, {"work_dir", "/scratch/ana/o rr"},
                              {"mpirun_args", {"--mca", "btl", "tcp,self"}}, {"hosts", {"127.0.0.1", "127.0.0.2"}},
                              {"rank_interface", "127.0.0.1"}}},
                     {"hpc", {{"type", "slurm"}, {"via", "box"}, {"partition", "gpu"}, {"time", "1-02:00:00"},
                              {"nodes", 2}, {"tasks_per_node", 4}, {"modules", {"openmpi/4.1"}},
                              {"extra_sbatch", {"--exclusive"}}, {"rank_interface", "ib0"}}}}}};
  std::vector<Target> targets;
  auto issues = issues_of(settings, &targets);
  ASSERT_TRUE(issues.empty()) << orrery::spec::to_string(issues[0]);
  ASSERT_EQ(targets.size(), 3u);   // "local" is always there
  auto box = find_target(targets, "box");
  ASSERT_TRUE(box);
  EXPECT_EQ(box->type, TargetType::Ssh);
  EXPECT_EQ(box->ssh.port, 2222);
  EXPECT_EQ(box->ssh.work_dir, "/scratch/ana/o rr");
  EXPECT_EQ(box->ssh.hosts.size(), 2u);
  EXPECT_EQ(box->ssh.rank_interface, "127.0.0.1");
  auto hpc = find_target(targets, "hpc");
  ASSERT_TRUE(hpc);
  EXPECT_EQ(hpc->slurm.via, "box");
  EXPECT_EQ(hpc->slurm.tasks_per_node, 4);
  EXPECT_EQ(hpc->slurm.rank_interface, "ib0");
  EXPECT_TRUE(find_target(targets, "local"));
}

TEST(RemoteTarget, RefusesShellMetacharactersInHostAndUser) {
  for (const char* host : {"a;touch /tmp/x", "-oProxyCommand=sh", "h$(id)", "a b", "h`id`", "", "h|x", "h\nx"}) {
    auto issues = issues_of({{"targets", {{"t", {{"type", "ssh"}, {"host", host}}}}}});
    EXPECT_TRUE(has_issue(issues, "$.targets.t.host")) << host;
  }
  for (const char* user : {"-lroot", "a;b", "$(id)", "a b", "x'y"}) {
    auto issues = issues_of({{"targets", {{"t", {{"type", "ssh"}, {"host", "h"}, {"user", user}}}}}});
    EXPECT_TRUE(has_issue(issues, "$.targets.t.user")) << user;
  }
  for (const char* iface : {"-x", "eth0;id", "a b", "$(id)", ""}) {
    auto issues = issues_of({{"targets", {{"t", {{"type", "ssh"}, {"host", "h"}, {"rank_interface", iface}}}}}});
    EXPECT_TRUE(has_issue(issues, "$.targets.t.rank_interface")) << iface;
  }
  EXPECT_TRUE(valid_rank_interface("*"));
  EXPECT_TRUE(valid_rank_interface("[::1]"));
  EXPECT_TRUE(valid_host("127.0.0.2"));
  EXPECT_TRUE(valid_host("::1"));
  EXPECT_TRUE(valid_user("ana.b-c_1"));
}

TEST(RemoteTarget, ReportsEachProblemWithItsPath) {
  auto issues = issues_of({{"targets",
                            {{"bad name!", {{"type", "local"}}},
                             {"t1", {{"type", "ssh"}}},
                             {"t2", {{"type", "ssh"}, {"host", "h"}, {"port", 70000}, {"colour", "red"},
                                     {"known_hosts_file", "/a b"}}},
                             {"t3", {{"type", "slurm"}, {"via", "nowhere"}}},
                             {"t4", {{"type", "slurm"}, {"time", "1:2:3:4"}, {"partition", "-p"},
                                     {"extra_sbatch", {"#SBATCH x"}}}},
                             {"t5", {{"type", "cloud"}}}}}});
  for (const char* path : {"$.targets.bad name!", "$.targets.t1.host", "$.targets.t2.port", "$.targets.t2.colour",
                           "$.targets.t2.known_hosts_file", "$.targets.t3.via", "$.targets.t4.time",
                           "$.targets.t4.partition", "$.targets.t4.extra_sbatch[0]", "$.targets.t5.type"})
    EXPECT_TRUE(has_issue(issues, path)) << path;
}

TEST(RemoteTarget, QuotedWordsReachTheShellUnchanged) {
  std::vector<std::string> words = {"plain", "", "it's", "a b", "$(touch /nonexistent/x)", "`id`", "x;y|z&", "\"q\"",
                                    "back\\slash", "new\nline", "*", "~"};
  std::vector<std::string> argv = {"printf", "%s\\0"};
  argv.insert(argv.end(), words.begin(), words.end());
  auto r = run_captured({"/bin/sh", "-c", shell_command(argv)});
  ASSERT_TRUE(r.success()) << r.err;
  std::vector<std::string> got;
  std::string cur;
  for (char c : r.out) {
    if (c == '\0') { got.push_back(cur); cur.clear(); }
    else cur += c;
  }
  EXPECT_EQ(got, words);
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}
