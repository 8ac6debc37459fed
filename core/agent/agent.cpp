#include "runtime/curve_keys.hpp"
#include "runtime/host_name.hpp"
#include "orrery/runtime.hpp"
#include "agent/agent.hpp"

#include "agent/endpoints.hpp"
#include "agent/ingest.hpp"
#include "agent/priority.hpp"
#include "agent/system_sampler.hpp"
#include "launch/process.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "runfiles/run_record.hpp"
#include "telemetry/wire.hpp"

#include <zmq.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>

namespace orrery::agent {

namespace {

using Clock = std::chrono::steady_clock;
using runfiles::RunStatus;



std::atomic<int> g_terminate_signal{0};
extern "C" void on_terminate(int sig) { g_terminate_signal.store(sig); }

std::string last_lines(const std::filesystem::path& file, std::size_t count) {
  std::FILE* f = std::fopen(file.c_str(), "re");
  if (!f) return {};
  std::vector<std::string> lines;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f)) {
    lines.emplace_back(buf);
    if (lines.size() > count) lines.erase(lines.begin());
  }
  std::fclose(f);
  std::string out;
  for (auto& l : lines) out += l;
  return out;
}

class Agent {
 public:
  explicit Agent(const AgentOptions& options) : opt_(options), record_(runfiles::read_run_record(options.run_dir)) {}

  int run() {
    endpoints_ = make_endpoints(opt_.run_dir, record_.id);
    open_sockets();
    writer_.emplace(opt_.run_dir / "run.h5", runfiles::RunH5Info{record_.id, record_.kind, record_.ranks});
    ingest_.emplace(*writer_, opt_.run_dir / "logs", record_.ranks);
    std::printf("orrery-agent %d: run %s, %d ranks; %s\n", getpid(), record_.id.c_str(), record_.ranks,
                sampler_.note().c_str());
    std::fflush(stdout);

    record_.agent = {getpid(), runtime::host_name(), endpoints_.control, endpoints_.feed, endpoints_.telemetry};
    record_.started = orrery::now();
    record_.status = RunStatus::Running;
    try {
      start_ranks();
    } catch (const std::exception& e) {
      return finish(RunStatus::Failed, std::string("could not start the ranks: ") + e.what());
    }
    save_record();
    // After mpirun is forked, so the ranks keep the priority the agent was started with.
    if (opt_.nice != 0) {
      std::string why;
      if (set_process_nice(opt_.nice, &why))
        std::printf("orrery-agent: running at nice %d, ahead of the ranks\n", opt_.nice);
      else
        std::printf("orrery-agent: running at the ranks' priority (%s)\n", why.c_str());
      std::fflush(stdout);
    }
    loop();
    return finish_from_exits();
  }

 private:
  // ---------------------------------------------------------------------------
  // set-up
  // ---------------------------------------------------------------------------
  void open_sockets() {
    pull_.set(zmq::sockopt::rcvhwm, 100000);
    pull_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(telemetry::kMaxFrameBytes));
    pub_.set(zmq::sockopt::sndhwm, 10000);
    pub_.bind(endpoints_.feed);
    rep_.set(zmq::sockopt::maxmsgsize, int64_t{1} << 16);
    rep_.bind(endpoints_.control);
    commands_.set(zmq::sockopt::sndhwm, 100);
    if (opt_.rank_interface.empty()) {
      pull_.bind(endpoints_.telemetry);
      commands_.bind(endpoints_.commands);
      return;
    }
    const runtime::CurveKeyPair server = runtime::make_curve_keypair();
    client_keys_ = runtime::make_curve_keypair();
    curve_server_public_ = server.public_key;
    endpoints_.telemetry = bind_rank_channel(pull_, server);
    endpoints_.commands = bind_rank_channel(commands_, server);
    std::printf("orrery-agent: ranks reach this agent over TCP (CURVE): telemetry %s, commands %s\n",
                endpoints_.telemetry.c_str(), endpoints_.commands.c_str());
    std::fflush(stdout);
  }

  // Binds a rank channel on the chosen interface, a port the system picks, and returns the
  // endpoint the ranks connect to: a wildcard address is replaced by this machine's name.
  std::string bind_rank_channel(zmq::socket_t& socket, const runtime::CurveKeyPair& server) {
    runtime::make_curve_server(socket, server);
    socket.bind("tcp://" + opt_.rank_interface + ":*");
    std::string endpoint = socket.get(zmq::sockopt::last_endpoint);
    for (const std::string wildcard : {"tcp://0.0.0.0:", "tcp://[::]:"})
      if (endpoint.rfind(wildcard, 0) == 0) endpoint = "tcp://" + runtime::host_name() + ":" + endpoint.substr(wildcard.size());
    return endpoint;
  }

  void start_ranks() {
    std::filesystem::create_directories(opt_.run_dir / "logs");
    std::filesystem::create_directories(opt_.run_dir / "checkpoints");
    int log_fd = ::open((opt_.run_dir / "logs" / "launcher.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int grace_ms = static_cast<int>(opt_.grace.count());
    launch::SpawnOptions s;
    if (opt_.use_srun) {
      // srun passes the whole environment on (--export=ALL) and ends the step when a rank fails, as mpirun does.
      s.argv = {opt_.srun, "--mpi=pmix", "--ntasks", std::to_string(record_.ranks), "--export=ALL", "--kill-on-bad-exit=1"};
      s.argv.insert(s.argv.end(), opt_.srun_args.begin(), opt_.srun_args.end());
    } else {
      s.argv = {opt_.mpirun, "-np", std::to_string(record_.ranks), "--oversubscribe", "--bind-to", "none",
                // mpirun's own SIGTERM → SIGKILL delay must cover our grace period.
                "--mca", "odls_base_sigkill_timeout", std::to_string(grace_ms / 1000 + 2)};
      if (geteuid() == 0) s.argv.push_back("--allow-run-as-root");
      s.argv.insert(s.argv.end(), opt_.mpirun_args.begin(), opt_.mpirun_args.end());
      for (const char* name : {"ORRERY_TELEMETRY", "ORRERY_COMMANDS", "ORRERY_RUN_DIR", "ORRERY_AGENT_PID", "ORRERY_AGENT_HOST",
                               "ORRERY_GPU_COUNT", "ORRERY_GRACE_MS", "ORRERY_CURVE_SERVER", "ORRERY_CURVE_PUBLIC",
                               "ORRERY_CURVE_SECRET"}) {
        s.argv.push_back("-x");
        s.argv.push_back(name);
      }
    }
    s.argv.push_back((opt_.bin_dir / "orrery-rank").string());
    s.argv.push_back("--");
    s.argv.insert(s.argv.end(), record_.argv.begin(), record_.argv.end());
    s.env_set = {{"ORRERY_TELEMETRY", endpoints_.telemetry},
                 {"ORRERY_COMMANDS", endpoints_.commands},
                 {"ORRERY_RUN_DIR", opt_.run_dir.string()},
                 {"ORRERY_AGENT_PID", std::to_string(getpid())},
                 {"ORRERY_AGENT_HOST", runtime::host_name()},
                 {"ORRERY_GPU_COUNT", std::to_string(sampler_.gpu_count())},
                 {"ORRERY_GRACE_MS", std::to_string(grace_ms)},
                 // Empty over unix sockets (the runtime then sets no keys); -x passes them on either way.
                 {"ORRERY_CURVE_SERVER", curve_server_public_},
                 {"ORRERY_CURVE_PUBLIC", client_keys_.public_key},
                 {"ORRERY_CURVE_SECRET", client_keys_.secret_key}};
    s.cwd = opt_.run_dir;
    s.stdout_fd = log_fd;
    s.stderr_fd = log_fd;
    s.new_process_group = true;
    // kill -9 of the agent takes mpirun with it at once (SIGTERM made it linger ~10 s tearing
    // down); each orrery-rank sees its parent and the agent gone and stops its worker.
    s.parent_death_signal = SIGKILL;
    std::string command;
    for (const auto& a : s.argv) command += (command.empty() ? "" : " ") + a;
    std::printf("orrery-agent: starting the ranks: %s\n", command.c_str());
    std::fflush(stdout);
    mpirun_pid_ = launch::spawn(s);
    if (log_fd >= 0) ::close(log_fd);
  }

  // ---------------------------------------------------------------------------
  // main loop
  // ---------------------------------------------------------------------------
  void loop() {
    auto next_flush = Clock::now() + opt_.flush_interval;
    auto next_status = Clock::now();
    auto next_sample = Clock::now() + std::chrono::seconds(1);
    auto next_record = Clock::now() + std::chrono::seconds(1);
    Clock::time_point quiet_since{};   // epoch value: not quiet yet
    for (;;) {
      zmq::pollitem_t items[] = {{pull_.handle(), 0, ZMQ_POLLIN, 0}, {rep_.handle(), 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(20));
      } catch (const zmq::error_t& e) {
        // SIGTERM (scancel of a Slurm job, kill) interrupts the poll: handled below like a cancel request.
        if (e.num() != EINTR) throw;
      }
      std::size_t got = drain_telemetry();
      if (items[1].revents & ZMQ_POLLIN) serve_control();
      if (int sig = g_terminate_signal.exchange(0)) request_cancel(std::string("agent received ") + strsignal(sig));

      auto now = Clock::now();
      if (!mpirun_exit_) reap_mpirun();
      if (cancel_deadline_ && now >= *cancel_deadline_) hard_kill();
      if (now >= next_sample) { sample_system(); next_sample = now + std::chrono::seconds(1); }
      if (now >= next_flush || writer_->pending_points() > (8u << 20)) {
        flush();
        next_flush = now + opt_.flush_interval;
      }
      if (now >= next_record) { save_record(); next_record = now + std::chrono::seconds(1); }
      if (now >= next_status) { publish_status(); next_status = now + std::chrono::milliseconds(250); }
      if (mpirun_exit_) {
        // mpirun is gone: keep reading until the ranks' last batches have arrived (quiet for 300 ms).
        if (got) quiet_since = Clock::time_point{};
        else if (quiet_since == Clock::time_point{}) quiet_since = now;
        // The 3 s cap stops a trickle from a stray sender, never a backlog still being read.
        if ((quiet_since != Clock::time_point{} && now - quiet_since > std::chrono::milliseconds(300)) ||
            (now - *mpirun_exit_time_ > std::chrono::seconds(3) && !drain_backlog_))
          break;
      }
    }
  }

  // Reads what is queued, but at most 2000 frames, ~100 ms or 8M points waiting for the
  // writer per call: behind a backlog the loop must still flush (else run.h5 lags and the
  // writer's buffers grow without bound), serve control and publish status.
  std::size_t drain_telemetry() {
    std::size_t count = 0;
    const auto deadline = Clock::now() + std::chrono::milliseconds(100);
    drain_backlog_ = false;
    zmq::message_t msg;
    while (!drain_backlog_ && pull_.recv(msg, zmq::recv_flags::dontwait)) {
      if (++count >= 2000 || writer_->pending_points() > (8u << 20) || Clock::now() >= deadline) drain_backlog_ = true;
      std::string why;
      auto batch = telemetry::decode(msg.data(), msg.size(), &why);
      if (!batch) {
        ingest_->count_rejected_frame();
        if (rejected_logged_++ < 5) std::printf("orrery-agent: dropped a malformed telemetry frame (%s)\n", why.c_str());
        continue;
      }
      ingest_->accept(*batch);
      // Forward the accepted frame as is to live-feed subscribers; PUB never blocks us.
      pub_.send(zmq::buffer(std::string_view("batch")), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      pub_.send(msg, zmq::send_flags::dontwait);
    }
    return count;
  }

  void serve_control() {
    zmq::message_t request;
    if (!rep_.recv(request, zmq::recv_flags::dontwait)) return;
    nlohmann::json reply;
    auto j = nlohmann::json::parse(request.to_string_view(), nullptr, false);
    std::string cmd = (j.is_object() && j.contains("cmd") && j["cmd"].is_string()) ? j["cmd"].get<std::string>() : "";
    if (cmd == "status") {
      reply = status_json();
      reply["ok"] = true;
    } else if (cmd == "cancel") {
      request_cancel("cancelled by user");
      reply = {{"ok", true}, {"status", "cancelling"}};
    } else if (cmd == "checkpoint") {
      reply = request_checkpoint();
    } else if (cmd == "prompt") {
      reply = request_prompt(j);
    } else {
      reply = {{"ok", false},
               {"error", "unknown or malformed request; expected {\"cmd\": \"status\"|\"cancel\"|\"checkpoint\"|\"prompt\"}"}};
    }
    rep_.send(zmq::buffer(reply.dump()), zmq::send_flags::dontwait);
  }

  // Publishes "checkpoint" to the ranks (runtime: orrery::checkpoint_requested()); the
  // worker saves at its next step boundary. Workers that never poll ignore it.
  nlohmann::json request_checkpoint() {
    if (cancel_requested_ || mpirun_exit_) return {{"ok", false}, {"error", "the ranks are stopping"}};
    if (!commands_.send(zmq::buffer(std::string_view("checkpoint")), zmq::send_flags::dontwait))
      return {{"ok", false}, {"error", "the ranks' request queue is full"}};
    std::printf("orrery-agent: checkpoint requested\n");
    std::fflush(stdout);
    return {{"ok", true}, {"status", "checkpoint requested"}};
  }

  // Publishes "prompt ID\nTEXT" to the ranks (runtime: orrery::take_prompt()); the worker
  // streams its answer back as events naming ID, which the asker follows on the feed.
  nlohmann::json request_prompt(const nlohmann::json& j) {
    if (cancel_requested_ || mpirun_exit_) return {{"ok", false}, {"error", "the ranks are stopping"}};
    if (!j.contains("text") || !j["text"].is_string()) return {{"ok", false}, {"error", "a prompt needs \"text\""}};
    const std::string text = j["text"].get<std::string>();
    if (text.empty() || text.size() > 4096) return {{"ok", false}, {"error", "a prompt has 1 to 4096 bytes"}};
    const std::string id = std::to_string(++prompts_sent_);
    const std::string message = "prompt " + id + "\n" + text;
    if (!commands_.send(zmq::buffer(message), zmq::send_flags::dontwait))
      return {{"ok", false}, {"error", "the ranks' request queue is full"}};
    return {{"ok", true}, {"id", id}};
  }

  void request_cancel(const std::string& reason) {
    if (cancel_requested_ || mpirun_exit_) return;
    cancel_requested_ = true;
    cancel_reason_ = reason;
    std::printf("orrery-agent: cancelling (%s)\n", reason.c_str());
    std::fflush(stdout);
    ::kill(mpirun_pid_, SIGTERM);
    cancel_deadline_ = Clock::now() + opt_.grace + std::chrono::seconds(3);
  }

  void hard_kill() {
    cancel_deadline_.reset();
    std::printf("orrery-agent: grace period over; killing what is left\n");
    for (auto [rank, pid] : ingest_->worker_pids()) ::killpg(pid, SIGKILL);
    ::killpg(mpirun_pid_, SIGKILL);
  }

  void reap_mpirun() {
    int status = 0;
    if (::waitpid(mpirun_pid_, &status, WNOHANG) == mpirun_pid_) {
      mpirun_exit_ = launch::decode_wait_status(status);
      mpirun_exit_time_ = Clock::now();
    }
  }

  void sample_system() {
    double t = orrery::now();
    for (auto [rank, pid] : ingest_->worker_pids()) {
      int gpus = sampler_.gpu_count();
      for (const auto& s : sampler_.sample(pid, gpus > 0 ? rank % gpus : -1, t))
        ingest_->add_system_sample(rank, s.name, t, sample_step_, s.value);
    }
    ++sample_step_;
  }

  void flush() {
    try {
      writer_->flush();
    } catch (const std::exception& e) {
      std::printf("orrery-agent: flushing run.h5 failed: %s\n", e.what());
    }
    ingest_->flush_logs();
  }

  // ---------------------------------------------------------------------------
  // status
  // ---------------------------------------------------------------------------
  void refresh_record() {
    record_.last_metrics = ingest_->last_metrics();
    if (auto p = ingest_->progress()) {
      record_.progress_done = p->done;
      record_.progress_total = p->total;
    }
    record_.dropped = ingest_->dropped();
    record_.rejected = ingest_->rejected();
  }

  nlohmann::json status_json() {
    refresh_record();
    auto j = record_.to_json();
    double elapsed = orrery::now() - record_.started;
    j["live"] = {{"points", ingest_->points()},
                 {"elapsed", elapsed},
                 {"points_per_s", elapsed > 0 ? static_cast<double>(ingest_->points()) / elapsed : 0.0},
                 {"ranks_reporting", ingest_->worker_pids().size()},
                 {"cancelling", cancel_requested_}};
    return j;
  }

  void publish_status() {
    auto text = status_json().dump();
    pub_.send(zmq::buffer(std::string_view("status")), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    pub_.send(zmq::buffer(text), zmq::send_flags::dontwait);
  }

  void save_record() {
    refresh_record();
    try {
      runfiles::write_run_record(opt_.run_dir, record_);
    } catch (const std::exception& e) {
      std::printf("orrery-agent: %s\n", e.what());
    }
  }

  // ---------------------------------------------------------------------------
  // the end
  // ---------------------------------------------------------------------------
  int finish_from_exits() {
    // The first rank that ended on its own with a failure is the cause; ranks the
    // abort took down afterwards report `requested`.
    std::optional<RankExit> cause;
    for (const auto& e : ingest_->exits()) {
      bool failed = e.report.signal != 0 || e.report.exit_code != 0;
      if (failed && !e.report.requested && (!cause || e.report.time < cause->report.time)) cause = e;
    }
    if (cancel_requested_) return finish(RunStatus::Cancelled, cancel_reason_);
    if (cause) {
      runfiles::RankFailure f;
      f.rank = cause->rank;
      f.exit_code = cause->report.exit_code;
      f.signal = cause->report.signal;
      f.log_tail = ingest_->log_tail(cause->rank);
      record_.failure = f;
      launch::ExitStatus st{f.exit_code, f.signal};
      return finish(RunStatus::Failed, "rank " + std::to_string(f.rank) + " ended with " + launch::describe(st));
    }
    if (mpirun_exit_ && mpirun_exit_->success()) {
      std::size_t reported = ingest_->exits().size();
      if (reported < static_cast<std::size_t>(record_.ranks))
        std::printf("orrery-agent: only %zu of %d ranks reported their exit\n", reported, record_.ranks);
      return finish(RunStatus::Succeeded, "");
    }
    std::string why = "mpirun ended with " + (mpirun_exit_ ? launch::describe(*mpirun_exit_) : std::string("unknown status"));
    auto tail = last_lines(opt_.run_dir / "logs" / "launcher.log", 8);
    if (!tail.empty()) why += ":\n" + tail;
    return finish(RunStatus::Failed, why);
  }

  int finish(RunStatus status, const std::string& reason) {
    if (ingest_) ingest_->finish();
    record_.status = status;
    record_.reason = reason;
    record_.ended = orrery::now();
    if (writer_) {
      try {
        writer_->set_attribute("status", runfiles::to_string(status));
        writer_->flush();
        writer_->close();
      } catch (const std::exception& e) {
        std::printf("orrery-agent: closing run.h5 failed: %s\n", e.what());
      }
    }
    save_record();
    publish_status();
    std::printf("orrery-agent: run %s %s%s%s\n", record_.id.c_str(), runfiles::to_string(status).c_str(),
                reason.empty() ? "" : ": ", reason.c_str());
    std::fflush(stdout);
    // Let subscribers receive the final status before the sockets go.
    pub_.set(zmq::sockopt::linger, 500);
    std::error_code ec;
    for (const char* sock : {"telemetry.sock", "feed.sock", "control.sock", "commands.sock"}) std::filesystem::remove(endpoints_.dir / sock, ec);
    return status == RunStatus::Succeeded ? 0 : 1;
  }

  AgentOptions opt_;
  runfiles::RunRecord record_;
  Endpoints endpoints_;
  zmq::context_t context_{1};
  zmq::socket_t pull_{context_, zmq::socket_type::pull};
  zmq::socket_t pub_{context_, zmq::socket_type::pub};
  zmq::socket_t rep_{context_, zmq::socket_type::rep};
  zmq::socket_t commands_{context_, zmq::socket_type::pub};
  std::string curve_server_public_;      // TCP rank channels only (opt_.rank_interface)
  runtime::CurveKeyPair client_keys_;
  std::optional<runfiles::RunH5Writer> writer_;
  std::optional<Ingest> ingest_;
  SystemSampler sampler_;
  pid_t mpirun_pid_ = -1;
  std::optional<launch::ExitStatus> mpirun_exit_;
  std::optional<Clock::time_point> mpirun_exit_time_;
  bool cancel_requested_ = false;
  std::uint64_t prompts_sent_ = 0;  // ids of prompt requests
  std::string cancel_reason_;
  std::optional<Clock::time_point> cancel_deadline_;
  std::int64_t sample_step_ = 0;
  int rejected_logged_ = 0;
  bool drain_backlog_ = false;   // the last drain_telemetry() stopped at its limit, not at an empty queue
};

}  // namespace

int run_agent(const AgentOptions& options) {
  struct sigaction sa {};
  sa.sa_handler = on_terminate;
  sa.sa_flags = SA_RESTART;   // file writes and the like resume; the loop's poll reports EINTR
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  Agent agent(options);
  return agent.run();
}

}  // namespace orrery::agent
