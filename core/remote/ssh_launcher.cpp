#include "remote/ssh_launcher.hpp"

#include "launch/starting_record.hpp"
#include "orrery/runtime.hpp"
#include "remote/shell_quote.hpp"
#include "spec/render_command.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace orrery::remote {

namespace {

using Clock = std::chrono::steady_clock;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool is_under(const fs::path& file, const fs::path& dir) {
  auto f = file.lexically_normal().string(), d = dir.lexically_normal().string();
  if (!d.empty() && d.back() != '/') d += '/';
  return f.rfind(d, 0) == 0;
}

std::string strip_ipc(const std::string& endpoint) {
  return endpoint.rfind("ipc://", 0) == 0 ? endpoint.substr(6) : std::string{};
}

std::optional<runfiles::RunRecord> parse_record(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  try {
    return runfiles::RunRecord::from_json(j);
  } catch (const runfiles::RunRecordError&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<nlohmann::json> read_remote_json(const std::filesystem::path& local_run_dir) {
  std::ifstream in(local_run_dir / "remote.json");
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::optional<runfiles::RunRecord> read_remote_record(const SshConnection& ssh, const std::string& run_dir,
                                                      std::chrono::milliseconds timeout) {
  auto r = ssh.run({"cat", run_dir + "/run.json"}, within(timeout));
  if (!r.success()) return std::nullopt;
  return parse_record(r.out);
}

std::string remote_work_dir(const SshConnection& ssh, const std::string& work_dir) {
  auto where = ssh.run_script("mkdir -p " + shell_quote(work_dir) + " && cd " + shell_quote(work_dir) + " && pwd -P");
  if (!where.success())
    throw SshError("cannot use the work folder " + work_dir + " on " + ssh.describe() + ": " + trim(where.err));
  return trim(where.out);
}

std::vector<DeployFile> files_for_run(const launch::InstallPaths& paths, const std::string& bin,
                                      const std::vector<std::string>& local_argv, const std::vector<std::string>& remote_argv) {
  std::vector<DeployFile> files = {{paths.bin_dir / "orrery-agent", bin + "/orrery-agent"},
                                   {paths.bin_dir / "orrery-rank", bin + "/orrery-rank"}};
  for (std::size_t i = 0; i < local_argv.size() && i < remote_argv.size(); ++i) {
    fs::path f = local_argv[i];
    if (local_argv[i] != remote_argv[i] && (is_under(f, paths.bin_dir) || is_under(f, paths.share_dir)) &&
        fs::is_regular_file(f))
      files.push_back({f, remote_argv[i]});
  }
  return files;
}

namespace {

// The remote half of a launch, in one ssh call: fixed text, run by `sh -c` with the data as its
// positional parameters (each quoted by shell_command) and run.json on stdin, so nothing from
// the spec or the target is ever parsed as shell code.
//   $1 the work folder as the client expects it to resolve (pwd -P), $2 the run folder,
//   $3 how many 50 ms ticks to wait for the agent to leave "starting", $4 how many deployed
//   files follow as (sha256, path) pairs, then the agent's argv.
// Exit 0: the agent was started; stdout is run.json as it stands after the wait.
// Exit 4: the work folder resolves elsewhere (stdout: where); 5: a deployed file is missing or
// differs (stdout: each file's remote hash in order, "-" when missing; nothing was started);
// 3, 6, 7: the work folder, the run folder, the agent could not be set up.
constexpr const char* kLaunchScript = R"sh(w=$1 d=$2 ticks=$3 n=$4
shift 4
mkdir -p -- "$w" && cd -- "$w" || exit 3
real=$(pwd -P) || exit 3
if [ "$real" != "$w" ]; then printf '%s\n' "$real"; exit 4; fi
stale=0 sums=
while [ "$n" -gt 0 ]; do
  sum=$(sha256sum 2>/dev/null < "$2") || sum=-
  sum=${sum%% *}
  [ "$sum" = "$1" ] || stale=1
  sums="$sums$sum
"
  shift 2
  n=$((n - 1))
done
if [ "$stale" = 1 ]; then printf '%s' "$sums"; exit 5; fi
mkdir -p -- "$d/logs" && cat > "$d/run.json" && cd -- "$d" || exit 6
setsid -f "$@" > logs/agent.log 2>&1 < /dev/null || exit 7
while [ "$ticks" -gt 0 ] && grep -q '"status": *"starting"' run.json; do
  sleep 0.05
  ticks=$((ticks - 1))
done
cat run.json
)sh";

}  // namespace

RemoteRun launch_ssh(const runfiles::Project& project, const spec::KindSchema& kind, const spec::Spec& spec,
                     const launch::InstallPaths& paths, const Target& target, const SshConnection& ssh,
                     std::chrono::milliseconds agent_start_timeout, const DeployProgressFn& deploy_progress) {
  const auto& t = target.ssh;
  const auto deadline = Clock::now() + agent_start_timeout;

  RemoteRun run;
  run.target = target.name;
  run.run_id = runfiles::make_run_id(project, spec.name.empty() ? kind.name : spec.name);
  run.local_run_dir = runfiles::run_path(project, run.run_id);
  fs::create_directories(run.local_run_dir);

  // The ranks' argv and the agent's sockets need the work folder as an absolute path. The
  // launch script checks that it resolves to what we expect (a work_dir written as one does)
  // and says where it really is otherwise; then the launch is rendered again and retried.
  std::string work = t.work_dir;
  bool deployed = false, resolved = false;
  std::vector<fs::path> hashed;   // the local files `sums` belongs to (a re-render after resolving keeps them)
  std::vector<std::string> sums;
  for (;;) {
    const std::string bin = work + "/bin", share = work + "/share/orrery";
    run.remote_run_dir = work + "/runs/" + run.run_id;
    // What each rank runs, rendered twice: with the remote paths for the record, and with the
    // local ones to find which of our files (the worker, its scripts) the ranks need there.
    auto remote_argv = spec::render_command(kind, spec, {bin, share, work, run.remote_run_dir});
    auto local_argv = spec::render_command(kind, spec, {paths.bin_dir, paths.share_dir, project.root, run.local_run_dir});
    const auto files = files_for_run(paths, bin, local_argv, remote_argv);
    std::vector<fs::path> locals;
    for (const auto& f : files) locals.push_back(f.local);
    if (locals != hashed) {
      sums = local_sha256(locals);
      hashed = locals;
    }

    auto record = launch::starting_record(run.run_id, kind, spec, target.name, remote_argv);
    runfiles::write_run_record(run.local_run_dir, record);

    const auto ticks = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - Clock::now()).count() / 50);
    std::vector<std::string> argv = {"sh", "-c", kLaunchScript, "orrery-launch", work, run.remote_run_dir,
                                     std::to_string(ticks), std::to_string(files.size())};
    for (std::size_t i = 0; i < files.size(); ++i) argv.insert(argv.end(), {sums[i], files[i].remote});
    // setsid -f: the agent forks into a session of its own and outlives this ssh call and the connection.
    argv.insert(argv.end(), {"setsid", "-f", bin + "/orrery-agent", "--run-dir", run.remote_run_dir, "--mpirun", t.mpirun});
    // "--mpirun-arg=VALUE": one word each, also for values that start with '-'.
    if (!t.hosts.empty()) {
      std::string list;
      for (const auto& h : t.hosts) list += (list.empty() ? "" : ",") + h;
      argv.insert(argv.end(), {"--mpirun-arg=--host", "--mpirun-arg=" + list});
    }
    for (const auto& a : t.mpirun_args) argv.push_back("--mpirun-arg=" + a);
    if (!t.rank_interface.empty()) argv.push_back("--rank-interface=" + t.rank_interface);

    CaptureOptions with_record = within(agent_start_timeout + std::chrono::seconds(30));
    with_record.input = record.to_json().dump(2);
    auto r = ssh.run(argv, with_record);
    if (r.cancelled) throw SshError("launching on " + ssh.describe() + " was cancelled");
    const int code = r.timed_out ? -1 : r.status.exit_code;
    if (code == 0) {
      if (!deployed) {
        run.deployed.checked = files.size();
        if (deploy_progress && !files.empty())
          deploy_progress({files.size(), files.size(), 0, files.back().local.filename().string(), false});
      }
      if (auto started = parse_record(r.out); started && started->status != runfiles::RunStatus::Starting) {
        run.record = *started;
        return run;
      }
      break;   // still starting after the remote wait (or run.json mid-rewrite): read it from here until the deadline
    }
    if (code == 4 && !resolved) {
      work = trim(r.out);
      resolved = true;
      if (work.empty() || work.front() != '/')
        throw SshError("the work folder " + t.work_dir + " on " + ssh.describe() + " has no absolute path");
      continue;
    }
    if (code == 5 && !deployed) {
      std::vector<std::string> remote_sums;
      std::istringstream lines(r.out);
      for (std::string line; std::getline(lines, line);) remote_sums.push_back(line);
      remote_sums.resize(files.size());   // a short answer: the rest count as missing
      run.deployed = send_changed(ssh, files, sums, remote_sums, deploy_progress);
      deployed = true;
      continue;
    }
    if (code == 3) throw SshError("cannot use the work folder " + work + " on " + ssh.describe() + ": " + trim(r.err));
    if (code == 4 || code == 5)
      throw SshError("the work folder " + work + " on " + ssh.describe() + (code == 4 ? " moved" : "'s deployed files changed") +
                     " while the run was being launched; try again");
    if (code == 6) throw SshError("cannot write the run's folder on " + ssh.describe() + ": " + trim(r.err));
    if (code == 7) throw SshError("cannot start orrery-agent on " + ssh.describe() + ": " + trim(r.err));
    throw SshError("launching on " + ssh.describe() + " failed (ssh " + (r.timed_out ? std::string("timed out") : launch::describe(r.status)) +
                   "): " + trim(r.err));
  }

  for (;;) {
    if (auto r = read_remote_record(ssh, run.remote_run_dir, std::chrono::seconds(10));
        r && r->status != runfiles::RunStatus::Starting) {
      run.record = *r;
      return run;
    }
    if (Clock::now() > deadline) {
      auto log = ssh.run({"tail", "-n", "8", run.remote_run_dir + "/logs/agent.log"});
      throw std::runtime_error("the remote orrery-agent did not start the run within " +
                               std::to_string(agent_start_timeout.count() / 1000) + " s; its log on " + ssh.describe() +
                               ":\n" + log.out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// -----------------------------------------------------------------------------
// RemoteRunMirror
// -----------------------------------------------------------------------------

RemoteRunMirror::RemoteRunMirror(SshConnection& ssh, RemoteRun run, Note note, std::chrono::milliseconds interval)
    : ssh_(ssh), run_(std::move(run)), note_(std::move(note)), interval_(interval) {
  char name[40];
  std::snprintf(name, sizeof name, "fw-%012zx", std::hash<std::string>{}(run_.run_id + run_.remote_run_dir) & 0xffffffffffffu);
  feed_socket_ = ssh_.socket_dir() / (std::string(name) + "-feed.sock");
  control_socket_ = ssh_.socket_dir() / (std::string(name) + "-control.sock");
  remote_feed_ = strip_ipc(run_.record.agent.feed);
  remote_control_ = strip_ipc(run_.record.agent.control);
}

RemoteRunMirror::~RemoteRunMirror() {
  stop();
  std::error_code ec;
  fs::remove(feed_socket_, ec);
  fs::remove(control_socket_, ec);
}

void RemoteRunMirror::start() {
  if (!runfiles::is_final(run_.record.status)) forward();
  runfiles::write_run_record(run_.local_run_dir, local_view(run_.record));
  write_remote_json();
  thread_ = std::thread([this] { loop(); });
}

void RemoteRunMirror::forward() {
  std::vector<SshConnection::SocketForward> forwards;
  if (!remote_feed_.empty()) forwards.emplace_back(feed_socket_, remote_feed_);
  if (!remote_control_.empty()) forwards.emplace_back(control_socket_, remote_control_);
  ssh_.forward_sockets(forwards);
}

void RemoteRunMirror::write_remote_json() {
  nlohmann::json j = {{"target", run_.target},
                      {"host", ssh_.describe()},
                      {"remote_run_dir", run_.remote_run_dir},
                      {"feed_socket", feed_socket_.string()},
                      {"control_socket", control_socket_.string()},
                      {"master_pid", ssh_.master_pid().value_or(0)},
                      {"reconnects", reconnects_.load()},
                      {"copied_back", copied_.load()}};
  {
    std::lock_guard lock(mutex_);
    if (!copy_report_.is_null()) j["copy_back"] = copy_report_;
  }
  try {
    runfiles::write_file_atomically(run_.local_run_dir / "remote.json", j.dump(2) + "\n");
  } catch (const std::exception&) {
  }
}

runfiles::RunRecord RemoteRunMirror::local_view(runfiles::RunRecord record) const {
  record.agent.feed = "ipc://" + feed_socket_.string();
  record.agent.control = "ipc://" + control_socket_.string();
  record.agent.telemetry.clear();
  // The agent's pid is one of the remote machine's, even when that machine is this one
  // (loopback): named after the target, no reader takes it for a local process.
  record.agent.host = run_.target + ":" + record.agent.host;
  return record;
}

bool RemoteRunMirror::mirror_once() {
  auto r = read_remote_record(ssh_, run_.remote_run_dir, std::chrono::seconds(10));
  if (!r) return false;
  try {
    runfiles::write_run_record(run_.local_run_dir, local_view(*r));
  } catch (const std::exception&) {
  }
  if (runfiles::is_final(r->status)) final_ = true;
  return true;
}

bool RemoteRunMirror::reconnect() {
  note_("connection to " + ssh_.describe() + " lost; reconnecting");
  auto backoff = std::chrono::milliseconds(250);
  for (int attempt = 1; !stop_; ++attempt) {
    try {
      ssh_.open();
      if (!final_) forward();
      ++reconnects_;
      note_("reconnected to " + ssh_.describe() + " (attempt " + std::to_string(attempt) + ")");
      write_remote_json();
      return true;
    } catch (const std::exception& e) {
      if (attempt == 1 || attempt % 5 == 0) note_(std::string("reconnecting: ") + e.what());
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, backoff, [this] { return stop_.load(); });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
  return false;
}

bool RemoteRunMirror::copy_back() {
  try {
    const CopyBackReport r = copy_back_resumable(ssh_, run_.remote_run_dir, run_.local_run_dir);
    for (const auto& name : r.refused) note_("not copied back (unsafe name): " + name);
    std::lock_guard lock(mutex_);
    copy_report_ = {{"files", r.files},           {"unchanged", r.unchanged}, {"resumed", r.resumed},
                    {"bytes_sent", r.bytes},      {"total_bytes", r.total_bytes}};
    return true;
  } catch (const std::exception& e) {
    note_(std::string("copy back: ") + e.what());
    return false;
  }
}

void RemoteRunMirror::loop() {
  while (!stop_) {
    if (!ssh_.master_running() && !reconnect()) break;
    if (mirror_once() && final_) break;
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, interval_, [this] { return stop_.load(); });
  }
  auto backoff = std::chrono::milliseconds(250);
  while (final_ && !stop_) {
    if (copy_back()) {
      copied_ = true;
      write_remote_json();
      note_("run folder copied back to " + run_.local_run_dir.string());
      break;
    }
    note_("copying the run folder back failed; retrying");
    if (!ssh_.master_running()) reconnect();
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, backoff, [this] { return stop_.load(); });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  changed_.notify_all();
}

bool RemoteRunMirror::wait_copied(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return done_ || stop_.load(); });
  // done_: remote.json says copied_back too (written after copied_ is set); a poll must not see it earlier.
  return copied_ && done_;
}

void RemoteRunMirror::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace orrery::remote
