// Starting processes (core/launch/process.hpp): argv is never parsed by a shell,
// the environment and folders given reach the child, failures to exec are reported
// with the program's name, and children die with their parent when asked to.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "launch/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace orrery::launch;


std::string comm_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(f, name);
  return name;
}

class ProcessSpawn : public ::testing::Test {
 protected:
  void TearDown() override {
    // Kill what a failed test may have left running, without ever signalling a reused pid:
    // an unreaped child of ours is safe to kill; anything else only if it still is a sleep.
    for (pid_t pid : cleanup_) {
      if (waitpid(pid, nullptr, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      } else if (comm_of(pid) == "sleep") {
        kill(pid, SIGKILL);
      }
    }
  }
  orrery::test_support::TempDir tmp_{"orrery-spawn"};
  fs::path dir_ = tmp_.path();
  std::vector<pid_t> cleanup_;  // processes to kill whatever happens
};

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      r = fds[0];
      w = fds[1];
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (r >= 0) close(r);
    r = -1;
  }
  void close_write() {
    if (w >= 0) close(w);
    w = -1;
  }
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = read(r, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

int wait_status(pid_t pid) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, 0); while (r < 0 && errno == EINTR);
  return r == pid ? status : -1;
}

// Polls cond until it holds or the timeout passes.
bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Field 4 of /proc/<pid>/stat (the parent pid), or -1.
pid_t parent_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close_paren + 2));
  char state = 0;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// Output of a spawned command, with its stdout on a pipe.
std::string run_capture(SpawnOptions o, int* status = nullptr) {
  Pipe out;
  o.stdout_fd = out.w;
  pid_t pid = spawn(o);
  out.close_write();
  std::string text = out.read_all();
  int st = wait_status(pid);
  if (status) *status = st;
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// ---------------------------------------------------------------------------
// argv, environment, folders, descriptors

TEST_F(ProcessSpawn, ArgumentsArePassedLiterallyWithoutAShell) {
  const std::vector<std::string> hostile = {"$(touch X)", "; touch X", "`touch X`", "&& touch X", "| touch X",
                                            "> X", "*", "$HOME", "'quoted' \"double\"", ""};
  SpawnOptions o;
  o.argv = {"/bin/echo"};
  o.argv.insert(o.argv.end(), hostile.begin(), hostile.end());
  o.cwd = dir_;
  int status = -1;
  const std::string out = run_capture(o, &status);
  std::string expected;
  for (std::size_t i = 0; i < hostile.size(); ++i) expected += (i ? " " : "") + hostile[i];
  EXPECT_EQ(out, expected + "\n");
  EXPECT_TRUE(decode_wait_status(status).success());
  EXPECT_FALSE(fs::exists(dir_ / "X"));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(ProcessSpawn, ProgramNameIsLookedUpInPath) {
  SpawnOptions o;
  o.argv = {"echo", "found"};
  EXPECT_EQ(run_capture(o), "found\n");
}

TEST_F(ProcessSpawn, EnvironmentIsAddedAndReplaced) {
  setenv("ORRERY_SPAWN_INHERITED", "yes", 1);
  setenv("ORRERY_SPAWN_REPLACED", "old", 1);
  SpawnOptions o;
  o.argv = {"/usr/bin/env"};
  o.env_set = {{"ORRERY_SPAWN_REPLACED", "new"}, {"ORRERY_SPAWN_NEW", "value with spaces; $(HOME) `x`"}};
  const auto lines = lines_of(run_capture(o));
  unsetenv("ORRERY_SPAWN_INHERITED");
  unsetenv("ORRERY_SPAWN_REPLACED");
  auto count = [&](const std::string& prefix) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(count("ORRERY_SPAWN_INHERITED=yes"), 1);
  EXPECT_EQ(count("ORRERY_SPAWN_REPLACED="), 1) << "replaced, not duplicated";
  EXPECT_EQ(count("ORRERY_SPAWN_REPLACED=new"), 1);
  EXPECT_EQ(count("ORRERY_SPAWN_NEW=value with spaces; $(HOME) `x`"), 1);
  // Our own environment is untouched.
  EXPECT_EQ(std::getenv("ORRERY_SPAWN_NEW"), nullptr);
}

TEST_F(ProcessSpawn, WorkingDirectory) {
  SpawnOptions o;
  o.argv = {"/bin/pwd"};
  o.cwd = dir_;
  EXPECT_EQ(run_capture(o), dir_.string() + "\n");
  o.cwd = dir_ / "missing";
  try {
    spawn(o);
    FAIL() << "no error for a missing working folder";
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "/bin/pwd");
    EXPECT_CONTAINS(e.what(), "No such file");
  }
}

TEST_F(ProcessSpawn, StdinIsDevNullAndStderrCanBeRedirected) {
  SpawnOptions cat;
  cat.argv = {"/bin/cat"};  // would block forever on an inherited terminal or pipe
  int status = -1;
  EXPECT_EQ(run_capture(cat, &status), "");
  EXPECT_TRUE(decode_wait_status(status).success());

  Pipe err;
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "echo to-stderr >&2; echo to-stdout"};
  o.stderr_fd = err.w;
  const std::string out = run_capture(o);
  err.close_write();
  EXPECT_EQ(out, "to-stdout\n");
  EXPECT_EQ(err.read_all(), "to-stderr\n");

  Pipe in;
  SpawnOptions reader;
  reader.argv = {"/bin/cat"};
  reader.stdin_fd = in.r;
  Pipe out2;
  reader.stdout_fd = out2.w;
  pid_t pid = spawn(reader);
  out2.close_write();
  in.close_read();
  ASSERT_EQ(write(in.w, "abc", 3), 3);
  in.close_write();
  EXPECT_EQ(out2.read_all(), "abc");
  wait_status(pid);
}

TEST_F(ProcessSpawn, ProcessGroupAndSession) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  o.new_process_group = true;
  pid_t pid = spawn(o);
  cleanup_.push_back(pid);
  EXPECT_EQ(getpgid(pid), pid);
  EXPECT_NE(getsid(pid), pid);
  kill(pid, SIGKILL);
  wait_status(pid);

  o.new_process_group = false;
  o.new_session = true;
  pid = spawn(o);
  cleanup_.push_back(pid);
  EXPECT_EQ(getsid(pid), pid);
  kill(pid, SIGKILL);
  wait_status(pid);
}

TEST_F(ProcessSpawn, IgnoredAndBlockedSignalsDoNotLeakIntoTheChild) {
  auto old_handler = signal(SIGTERM, SIG_IGN);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old_mask);
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  pid_t a = spawn(o);
  pid_t b = spawn(o);
  cleanup_.push_back(a);
  cleanup_.push_back(b);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  signal(SIGTERM, old_handler);
  kill(a, SIGTERM);
  kill(b, SIGINT);
  for (pid_t pid : {a, b}) {
    const bool died = wait_for([&] { return !process_alive(pid); }, 5s);
    EXPECT_TRUE(died) << "the signal was ignored or blocked in the child";
    if (!died) kill(pid, SIGKILL);
  }
  auto sa = decode_wait_status(wait_status(a));
  auto sb = decode_wait_status(wait_status(b));
  EXPECT_EQ(sa.signal, SIGTERM);
  EXPECT_EQ(sb.signal, SIGINT);
}

// ---------------------------------------------------------------------------
// Exec failures

TEST_F(ProcessSpawn, MissingProgramThrowsWithItsName) {
  for (const std::string& program : {std::string("/nonexistent/orrery-no-such-program"),
                                     std::string("orrery-no-such-program-in-path")}) {
    SpawnOptions o;
    o.argv = {program, "arg"};
    try {
      spawn(o);
      ADD_FAILURE() << program << " started";
    } catch (const std::runtime_error& e) {
      EXPECT_CONTAINS(e.what(), program);
      EXPECT_CONTAINS(e.what(), "No such file");
    }
  }
  // Not executable.
  std::ofstream(dir_ / "script.txt") << "#!/bin/sh\necho hi\n";
  SpawnOptions o;
  o.argv = {(dir_ / "script.txt").string()};
  try {
    spawn(o);
    ADD_FAILURE() << "a non-executable file started";
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "script.txt");
    EXPECT_CONTAINS(e.what(), "Permission denied");
  }
  EXPECT_THROW(spawn(SpawnOptions{}), std::runtime_error);  // empty argv
  // The failed children were reaped: nothing is left to wait for.
  const pid_t left = waitpid(-1, nullptr, WNOHANG);
  const int err = errno;
  EXPECT_EQ(left, -1);
  EXPECT_EQ(err, ECHILD);
}

// ---------------------------------------------------------------------------
// Exit statuses

TEST(ExitStatus, DecodeAndDescribe) {
  auto status_of = [](const std::function<void()>& child) {
    pid_t pid = fork();
    if (pid == 0) {
      child();
      _exit(100);
    }
    return wait_status(pid);
  };
  ExitStatus ok = decode_wait_status(status_of([] { _exit(0); }));
  EXPECT_TRUE(ok.success());
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.signal, 0);
  EXPECT_EQ(describe(ok), "exit code 0");

  ExitStatus three = decode_wait_status(status_of([] { _exit(3); }));
  EXPECT_FALSE(three.success());
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.signal, 0);
  EXPECT_EQ(describe(three), "exit code 3");

  ExitStatus high = decode_wait_status(status_of([] { _exit(255); }));
  EXPECT_EQ(high.exit_code, 255);
  EXPECT_EQ(describe(high), "exit code 255");

  ExitStatus killed = decode_wait_status(status_of([] { raise(SIGKILL); }));
  EXPECT_FALSE(killed.success());
  EXPECT_EQ(killed.signal, SIGKILL);
  EXPECT_EQ(describe(killed), "signal 9 (Killed)");

  ExitStatus term = decode_wait_status(status_of([] {
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
  }));
  EXPECT_EQ(term.signal, SIGTERM);
  EXPECT_EQ(describe(term), "signal 15 (Terminated)");

  EXPECT_CONTAINS(describe(ExitStatus{0, SIGSEGV}), "signal 11");
  EXPECT_CONTAINS(describe(ExitStatus{0, SIGSEGV}), "Segmentation fault");
  EXPECT_FALSE((ExitStatus{0, SIGSEGV}).success());
  EXPECT_FALSE((ExitStatus{1, 0}).success());
}

// ---------------------------------------------------------------------------
// Lifetimes

// Forks an intermediate process that spawns `sleep 30` and reports its pid, then waits to be killed.
std::pair<pid_t, pid_t> spawn_from_intermediate(int parent_death_signal) {
  Pipe p;
  pid_t mid = fork();
  if (mid == 0) {
    p.close_read();
    pid_t sleeper = -1;
    try {
      SpawnOptions o;
      o.argv = {"/bin/sleep", "30"};
      o.parent_death_signal = parent_death_signal;
      sleeper = spawn(o);
    } catch (...) {
    }
    (void)!write(p.w, &sleeper, sizeof sleeper);
    for (;;) pause();
  }
  p.close_write();
  pid_t sleeper = -1;
  if (read(p.r, &sleeper, sizeof sleeper) != sizeof sleeper) sleeper = -1;
  return {mid, sleeper};
}

TEST_F(ProcessSpawn, ParentDeathSignalKillsTheChildWithItsParent) {
  auto [mid, sleeper] = spawn_from_intermediate(SIGKILL);
  ASSERT_GT(mid, 0);
  cleanup_.push_back(mid);
  ASSERT_GT(sleeper, 0) << "the intermediate could not spawn";
  cleanup_.push_back(sleeper);
  EXPECT_TRUE(process_alive(sleeper));
  EXPECT_EQ(parent_of(sleeper), mid);
  ASSERT_EQ(kill(mid, SIGKILL), 0);
  EXPECT_EQ(decode_wait_status(wait_status(mid)).signal, SIGKILL);
  EXPECT_TRUE(wait_for([&] { return !process_alive(sleeper); }, 5s)) << "sleep " << sleeper << " outlived its parent";
}

TEST_F(ProcessSpawn, WithoutParentDeathSignalTheChildSurvives) {
  // The control for the test above: the option is what kills the child.
  auto [mid, sleeper] = spawn_from_intermediate(0);
  ASSERT_GT(mid, 0);
  cleanup_.push_back(mid);
  ASSERT_GT(sleeper, 0);
  cleanup_.push_back(sleeper);
  ASSERT_EQ(kill(mid, SIGKILL), 0);
  wait_status(mid);
  EXPECT_TRUE(wait_for([&] { return parent_of(sleeper) != mid; }, 5s));  // re-parented
  EXPECT_TRUE(process_alive(sleeper));
  kill(sleeper, SIGKILL);
  EXPECT_TRUE(wait_for([&] { return !process_alive(sleeper); }, 5s));
}

TEST_F(ProcessSpawn, DetachedProcessOutlivesItsLauncher) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  pid_t pid = spawn_detached(o);
  ASSERT_GT(pid, 0);
  cleanup_.push_back(pid);
  EXPECT_TRUE(process_alive(pid));
  EXPECT_NE(parent_of(pid), getpid());
  EXPECT_GT(parent_of(pid), 0);
  EXPECT_EQ(getsid(pid), pid) << "a new session, away from our terminal";
  // Not our child: nothing for us to wait for.
  const pid_t waited = waitpid(pid, nullptr, WNOHANG);
  const int err = errno;
  EXPECT_EQ(waited, -1);
  EXPECT_EQ(err, ECHILD);
  kill(pid, SIGKILL);
  EXPECT_TRUE(wait_for([&] { return !process_alive(pid); }, 5s));
}

TEST_F(ProcessSpawn, DetachedMissingProgramThrows) {
  SpawnOptions o;
  o.argv = {"/nonexistent/orrery-detached-missing"};
  try {
    spawn_detached(o);
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_CONTAINS(e.what(), "orrery-detached-missing");
  }
}

TEST_F(ProcessSpawn, ProcessAlive) {
  EXPECT_TRUE(process_alive(getpid()));
  EXPECT_FALSE(process_alive(0));
  EXPECT_FALSE(process_alive(-1));
  EXPECT_TRUE(process_alive(1));  // init: alive even where we may not signal it

  // A zombie: exited, not yet reaped.
  SpawnOptions o;
  o.argv = {"/bin/true"};
  pid_t zombie = spawn(o);
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT), 0);  // exited, left unreaped
  EXPECT_EQ(kill(zombie, 0), 0) << "still a process table entry";
  EXPECT_FALSE(process_alive(zombie));
  // Reaped.
  EXPECT_EQ(wait_status(zombie), 0);
  EXPECT_FALSE(process_alive(zombie));

  // A running child is alive, and dead once killed (zombie and then reaped).
  o.argv = {"/bin/sleep", "30"};
  pid_t sleeper = spawn(o);
  cleanup_.push_back(sleeper);
  EXPECT_TRUE(process_alive(sleeper));
  kill(sleeper, SIGKILL);
  EXPECT_TRUE(wait_for([&] { return !process_alive(sleeper); }));
  wait_status(sleeper);
  EXPECT_FALSE(process_alive(sleeper));
}

TEST(ExecutableDir, HoldsThisTest) {
  const fs::path dir = executable_dir();
  EXPECT_TRUE(dir.is_absolute());
  EXPECT_TRUE(fs::equivalent(dir / fs::read_symlink("/proc/self/exe").filename(), "/proc/self/exe"));
}

}  // namespace
