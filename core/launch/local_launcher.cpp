#include "runtime/host_name.hpp"
#include "orrery/runtime.hpp"
#include "launch/local_launcher.hpp"

#include "launch/process.hpp"
#include "launch/starting_record.hpp"
#include "spec/render_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace orrery::launch {

namespace {



}  // namespace

InstallPaths InstallPaths::from_executable() {
  InstallPaths p;
  p.bin_dir = executable_dir();
  p.share_dir = p.bin_dir.parent_path() / "share" / "orrery";
  return p;
}

runfiles::RunRecord starting_record(const std::string& run_id, const spec::KindSchema& kind, const spec::Spec& spec,
                                    const std::string& target, std::vector<std::string> argv) {
  runfiles::RunRecord record;
  record.id = run_id;
  record.name = spec.name.empty() ? kind.name : spec.name;
  record.kind = spec.kind;
  record.target = target;
  record.ranks = spec.ranks;
  record.tags = spec.tags;
  record.spec = spec.to_json();
  record.spec["target"] = target;
  record.created = orrery::now();
  record.status = runfiles::RunStatus::Starting;
  record.argv = std::move(argv);
  return record;
}

LaunchResult launch_local(const runfiles::Project& project, const spec::KindSchema& kind, const spec::Spec& spec,
                          const InstallPaths& paths, std::chrono::milliseconds agent_start_timeout) {
  LaunchResult result;
  result.run_id = runfiles::make_run_id(project, spec.name.empty() ? kind.name : spec.name);
  result.run_dir = runfiles::run_path(project, result.run_id);
  fs::create_directories(result.run_dir / "logs");

  auto record = starting_record(result.run_id, kind, spec, spec.target,
                                spec::render_command(kind, spec, {paths.bin_dir, paths.share_dir, project.root, result.run_dir}));
  runfiles::write_run_record(result.run_dir, record);

  int log_fd = ::open((result.run_dir / "logs" / "agent.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  SpawnOptions s;
  s.argv = {(paths.bin_dir / "orrery-agent").string(), "--run-dir", result.run_dir.string()};
  s.stdout_fd = log_fd;
  s.stderr_fd = log_fd;
  s.cwd = result.run_dir;
  pid_t agent = -1;
  try {
    agent = spawn_detached(s);
  } catch (...) {
    if (log_fd >= 0) ::close(log_fd);
    throw;
  }
  if (log_fd >= 0) ::close(log_fd);

  // The agent owns run.json from here on; wait until it says it has started the ranks.
  auto deadline = std::chrono::steady_clock::now() + agent_start_timeout;
  for (;;) {
    try {
      auto r = runfiles::read_run_record(result.run_dir);
      if (r.status != runfiles::RunStatus::Starting) {
        result.record = r;
        return result;
      }
    } catch (const std::exception&) {
    }
    if (!process_alive(agent)) {
      try {
        auto r = runfiles::read_run_record(result.run_dir);
        if (r.status != runfiles::RunStatus::Starting) { result.record = r; return result; }
      } catch (const std::exception&) {
      }
      throw std::runtime_error("orrery-agent exited before starting the run; see " +
                               (result.run_dir / "logs" / "agent.log").string());
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("orrery-agent did not start the run within " +
                               std::to_string(agent_start_timeout.count() / 1000) + " s; see " +
                               (result.run_dir / "logs" / "agent.log").string());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

runfiles::RunStatus observed_status(const runfiles::RunRecord& record) {
  if (runfiles::is_final(record.status)) return record.status;
  if (record.agent.pid > 0 && record.agent.host == runtime::host_name() && !process_alive(record.agent.pid))
    return runfiles::RunStatus::Lost;
  if (record.agent.pid == 0 && record.scheduler.empty() && record.created > 0 && orrery::now() - record.created > 60)
    return runfiles::RunStatus::Lost;   // no agent ever took it over
  return record.status;
}

}  // namespace orrery::launch
