// Helpers for widget tests that start real runs (header-only so that the logs
// tests can use them too): install paths from the test environment, waiting
// for a run to end, and a guard that stops every run a test started.
#pragma once

#include <QString>
#include <QTest>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <set>
#include <string>

#include "feed/feed_client.hpp"
#include "launch/local_launcher.hpp"
#include "runfiles/project.hpp"
#include "runfiles/run_record.hpp"

namespace orrery::test {

inline launch::InstallPaths install_paths_from_env() {
  launch::InstallPaths paths;
  const char* bin = std::getenv("ORRERY_BIN_DIR");
  const char* share = std::getenv("ORRERY_SHARE_DIR");
  if (bin) paths.bin_dir = bin;
  if (share) paths.share_dir = share;
  return paths;
}

inline std::optional<runfiles::RunRecord> read_record(const runfiles::Project& project, const std::string& id) {
  try {
    return runfiles::read_run_record(runfiles::run_path(project, id));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

inline std::optional<runfiles::RunStatus> observed(const runfiles::Project& project, const std::string& id) {
  auto record = read_record(project, id);
  if (!record) return std::nullopt;
  return launch::observed_status(*record);
}

// Waits, processing events, until the run is in a final state; returns that state.
inline std::optional<runfiles::RunStatus> wait_final(const runfiles::Project& project, const std::string& id,
                                                     int timeout_ms = 60'000) {
  std::optional<runfiles::RunStatus> status;
  const bool ended = QTest::qWaitFor([&] {
    status = observed(project, id);
    return status && runfiles::is_final(*status);
  }, timeout_ms);
  return ended ? status : std::nullopt;
}

// Cancels a run through its agent; kills the agent if it does not end in time.
inline void stop_run(const runfiles::Project& project, const std::string& id) {
  auto record = read_record(project, id);
  if (!record || runfiles::is_final(launch::observed_status(*record))) return;
  feed::control_request(*record, {{"cmd", "cancel"}}, std::chrono::seconds(3));
  auto status = wait_final(project, id, 20'000);
  if (!status || !runfiles::is_final(*status))
    if (record->agent.pid > 0) ::kill(record->agent.pid, SIGKILL);
}

// Every run id handed to it is stopped when the guard goes out of scope.
class RunGuard {
 public:
  explicit RunGuard(const runfiles::Project& project) : project_(project) {}
  ~RunGuard() {
    for (const auto& id : ids_) stop_run(project_, id);
  }
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  void add(const QString& id) { ids_.insert(id.toStdString()); }
  void add(const std::string& id) { ids_.insert(id); }

 private:
  runfiles::Project project_;
  std::set<std::string> ids_;
};

}  // namespace orrery::test
