// The agent's priority over its ranks (core/agent/priority.hpp): every thread of the
// process takes the nice value, because Linux keeps priorities per thread. Runs in a
// forked child so the test process keeps its own priority.

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>

#include "agent/priority.hpp"

namespace {

using orrery::agent::set_process_nice;

int nice_of(long tid) {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
}

// Runs body in a child process; returns its exit code (or 100 + signal).
template <class Body>
int in_child(Body body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(AgentPriority, EveryThreadTakesTheNiceValue) {
  const int target = geteuid() == 0 ? -3 : getpriority(PRIO_PROCESS, 0) + 2;   // lowering is always allowed
  const int code = in_child([target] {
    // A thread started before the call (like ZeroMQ's I/O thread) must change too.
    std::atomic<long> helper_tid{0};
    std::atomic<bool> done{false};
    std::thread helper([&] {
      helper_tid = syscall(SYS_gettid);
      while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (helper_tid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::string why;
    const bool ok = set_process_nice(target, &why);
    const int main_nice = nice_of(syscall(SYS_gettid)), helper_nice = nice_of(helper_tid);
    done = true;
    helper.join();
    if (!ok) return 1;
    if (main_nice != target) return 2;
    if (helper_nice != target) return 3;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: refused, 2: main thread unchanged, 3: other thread unchanged";
}

TEST(AgentPriority, RefusalIsReportedNotThrown) {
  if (geteuid() == 0) GTEST_SKIP() << "root may raise any priority";
  std::string why;
  EXPECT_FALSE(set_process_nice(-20, &why));
  EXPECT_NE(why.find("setpriority"), std::string::npos) << why;
}

}  // namespace
