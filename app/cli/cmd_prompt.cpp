// orrery prompt RUN "text": a prompt to a live run that answers prompts (gpt-serve), the
// answer printed as it streams back. The text goes to the run's agent as a control request,
// which publishes it to the ranks (the commands socket `orrery checkpoint` uses); the
// worker's answer comes back as events ("prompt.token" "ID:piece", then "prompt.done" "ID")
// on the live feed this command subscribes to before asking (EventWaiter).
#include "commands.hpp"

#include "event_waiter.hpp"
#include "feed/feed_client.hpp"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

namespace orrery::cli {

void add_prompt_command(CLI::App& app, Globals& g, int& result) {
  auto* cmd = app.add_subcommand("prompt", "Send a prompt to a live run that answers prompts (gpt-serve) and print "
                                           "the answer as it is generated");
  auto run = std::make_shared<std::string>();
  auto text = std::make_shared<std::string>();
  auto timeout = std::make_shared<double>(60.0);
  cmd->add_option("RUN", *run, "Run id, unique id prefix, or run name")->required();
  cmd->add_option("TEXT", *text, "The prompt (1 to 4096 bytes)")->required();
  cmd->add_option("--timeout", *timeout, "Seconds to wait for the whole answer")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->callback([&g, &result, run, text, timeout] {
    auto project = open_project(g);
    auto id = runfiles::resolve_run(project, *run);
    auto r = runfiles::read_run_record(runfiles::run_path(project, id));
    if (runfiles::is_final(launch::observed_status(r))) {
      std::cerr << "orrery: run " << id << " is " << runfiles::to_string(launch::observed_status(r)) << "; nothing to answer\n";
      result = kFailed;
      return;
    }
    EventWaiter waiter(r, EventWaiter::Clock::now() + std::chrono::duration_cast<EventWaiter::Clock::duration>(
                                                         std::chrono::duration<double>(*timeout)));
    auto reply = feed::control_request(r, {{"cmd", "prompt"}, {"text", *text}});
    if (!reply || !reply->value("ok", false)) {
      std::cerr << "orrery: the agent of run " << id << " did not accept the prompt"
                << (reply ? ": " + reply->value("error", std::string()) : std::string(" (no answer)")) << "\n";
      result = kFailed;
      return;
    }
    const std::string prompt_id = reply->value("id", std::string());
    const std::string mine = prompt_id + ":";
    std::string ended;
    const auto outcome = waiter.wait(
        [&](const telemetry::EventItem& e) {
          if (e.kind == "prompt.token" && e.text.starts_with(mine)) std::cout << e.text.substr(mine.size()) << std::flush;
          return e.kind == "prompt.done" && e.text == prompt_id;
        },
        ended);
    if (outcome == EventWaiter::Outcome::kAnswered) {
      std::cout << "\n";
      result = kSucceeded;
      return;
    }
    if (outcome == EventWaiter::Outcome::kRunEnded) {
      std::cerr << "\norrery: run " << id << " ended (" << ended << ") before answering\n";
      result = kFailed;
      return;
    }
    std::cerr << "\norrery: no complete answer from run " << id << " within " << *timeout << " s\n";
    result = kFailed;
  });
}

}  // namespace orrery::cli
