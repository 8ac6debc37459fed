#include "follow.hpp"

#include "feed/feed_client.hpp"
#include "launch/local_launcher.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <algorithm>

namespace orrery::cli {

namespace {

using runfiles::RunStatus;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted.store(true); }

struct View {
  RunStatus status = RunStatus::Starting;
  double done = 0, total = 0, elapsed = 0, points = 0;
  std::uint64_t dropped = 0;
  nlohmann::json last_metrics = nlohmann::json::object();
  int ranks = 0;
};

View view_from_status(const nlohmann::json& j) {
  View v;
  v.status = runfiles::parse_status(j.value("status", "")).value_or(RunStatus::Running);
  if (j.contains("progress") && j["progress"].is_object()) {
    v.done = j["progress"].value("done", 0.0);
    v.total = j["progress"].value("total", 0.0);
  }
  v.last_metrics = j.value("last_metrics", nlohmann::json::object());
  v.dropped = j.value("dropped", std::uint64_t{0});
  v.ranks = j.value("ranks", 0);
  if (j.contains("live") && j["live"].is_object()) {
    v.elapsed = j["live"].value("elapsed", 0.0);
    v.points = j["live"].value("points", 0.0);
  }
  return v;
}

std::string progress_line(const View& v, int width) {
  std::string line = runfiles::to_string(v.status);
  line.resize(9, ' ');
  constexpr int kBar = 28;
  double frac = v.total > 0 ? std::clamp(v.done / v.total, 0.0, 1.0) : 0.0;
  int filled = static_cast<int>(frac * kBar + 0.5);
  line += "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kBar - filled), '.') + "]";
  char pct[16];
  std::snprintf(pct, sizeof pct, " %5.1f%%", frac * 100);
  line += v.total > 0 ? pct : "    ...";
  line += "  " + format_duration(v.elapsed);
  line += "  " + format_count(v.points) + " pts";
  if (v.dropped) line += "  dropped " + format_count(static_cast<double>(v.dropped));
  for (const auto& [name, m] : v.last_metrics.items()) {
    if (!m.is_object() || !m.contains("value")) continue;
    std::string item = "  " + name + "=" + (m["value"].is_number() ? format_value(m["value"].get<double>()) : "nan");
    if (static_cast<int>(line.size() + item.size()) > width) break;
    line += item;
  }
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<std::size_t>(width));
  return line;
}

// Ctrl-C while following: the run belongs to the agent, so the user chooses.
enum class Choice { Cancel, Detach, Resume };
Choice ask_what_to_do(bool interactive) {
  if (!interactive || !isatty(STDIN_FILENO)) return Choice::Detach;
  std::cerr << "\nInterrupted. [c] cancel the run  [d] detach (the run goes on)  [r] resume following: " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return Choice::Detach;
  if (!answer.empty() && (answer[0] == 'c' || answer[0] == 'C')) return Choice::Cancel;
  if (!answer.empty() && (answer[0] == 'r' || answer[0] == 'R')) return Choice::Resume;
  return Choice::Detach;
}

}  // namespace

int exit_code_for(RunStatus status) {
  switch (status) {
    case RunStatus::Succeeded: return kSucceeded;
    case RunStatus::Cancelled: return kCancelled;
    case RunStatus::Lost: return kLost;
    case RunStatus::Failed: return kFailed;
    default: return kDetached;
  }
}

void print_outcome(const runfiles::RunRecord& r) {
  auto status = launch::observed_status(r);
  std::cout << "run " << r.id << ": " << runfiles::to_string(status) << " after " << format_duration(run_duration(r)) << "\n";
  if (!r.reason.empty()) std::cout << "  reason: " << r.reason << "\n";
  if (status == RunStatus::Lost) std::cout << "  the agent is gone without a verdict; data up to its last flush is in run.h5\n";
  if (r.failure) {
    std::cout << "  failing rank: " << r.failure->rank << " ("
              << (r.failure->signal ? "signal " + std::to_string(r.failure->signal) : "exit code " + std::to_string(r.failure->exit_code))
              << ")\n";
    if (!r.failure->log_tail.empty()) {
      std::cout << "  last lines of rank " << r.failure->rank << "'s log:\n";
      for (const auto& l : r.failure->log_tail) std::cout << "    | " << l << "\n";
    }
  }
  if (!r.last_metrics.empty()) {
    std::cout << "  last metrics:";
    for (const auto& [name, m] : r.last_metrics.items())
      if (m.is_object() && m.contains("value"))
        std::cout << "  " << name << "=" << (m["value"].is_number() ? format_value(m["value"].get<double>()) : "nan");
    std::cout << "\n";
  }
  if (r.dropped) std::cout << "  telemetry records dropped by ranks: " << r.dropped << "\n";
  if (r.rejected) std::cout << "  malformed telemetry frames or names refused: " << r.rejected << "\n";
}

int follow_run(const runfiles::Project& project, const std::string& run_id, const FollowOptions& options) {
  const auto run_dir = runfiles::run_path(project, run_id);
  auto record = runfiles::read_run_record(run_dir);
  struct sigaction sa {}, old {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  g_interrupted.store(false);

  const bool tty = isatty(STDOUT_FILENO);
  std::unique_ptr<feed::FeedClient> feed;
  if (!runfiles::is_final(launch::observed_status(record))) {
    try {
      feed = std::make_unique<feed::FeedClient>(record);
    } catch (const std::exception&) {
    }
  }
  View view;
  view.status = record.status;
  auto last_print = Clock::now() - std::chrono::seconds(10);
  auto last_disk_check = Clock::now();
  bool detached = false;
  for (;;) {
    if (runfiles::is_final(launch::observed_status(record))) break;
    std::optional<feed::FeedMessage> msg;
    if (feed) msg = feed->next(std::chrono::milliseconds(300));
    else std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (msg) {
      if (auto* s = std::get_if<feed::StatusMessage>(&*msg)) {
        view = view_from_status(s->status);
        if (runfiles::is_final(view.status)) break;
      }
    }
    // The feed can go quiet (agent busy, or gone): run.json is the ground truth.
    if (!msg || Clock::now() - last_disk_check > std::chrono::seconds(2)) {
      last_disk_check = Clock::now();
      try {
        record = runfiles::read_run_record(run_dir);
      } catch (const std::exception&) {
      }
      if (!feed && !record.agent.feed.empty() && !runfiles::is_final(record.status)) {
        try { feed = std::make_unique<feed::FeedClient>(record); } catch (const std::exception&) {}
      }
    }
    if (!options.quiet) {
      auto now = Clock::now();
      if (tty) {
        std::cout << "\r" << progress_line(view, 150) << "\033[K" << std::flush;
      } else if (now - last_print > std::chrono::seconds(2)) {
        std::cout << progress_line(view, 200) << "\n" << std::flush;
        last_print = now;
      }
    }
    if (g_interrupted.exchange(false)) {
      auto choice = ask_what_to_do(options.ask_on_interrupt);
      if (choice == Choice::Cancel) {
        auto reply = feed::control_request(record, {{"cmd", "cancel"}});
        std::cerr << (reply ? "cancelling; waiting for the ranks to stop...\n" : "the agent did not answer the cancel request\n");
      } else if (choice == Choice::Detach) {
        detached = true;
        break;
      }
    }
  }
  sigaction(SIGINT, &old, nullptr);
  if (tty && !options.quiet) std::cout << "\n";
  if (detached) {
    std::cout << "detached; run " << run_id << " goes on. Follow it again with: orrery attach " << run_id
              << "   stop it with: orrery cancel " << run_id << "\n";
    return kDetached;
  }
  // The final verdict: wait briefly for the agent's last run.json write.
  for (int i = 0; i < 50; ++i) {
    try {
      record = runfiles::read_run_record(run_dir);
    } catch (const std::exception&) {
    }
    if (runfiles::is_final(launch::observed_status(record))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  print_outcome(record);
  return exit_code_for(launch::observed_status(record));
}

}  // namespace orrery::cli
