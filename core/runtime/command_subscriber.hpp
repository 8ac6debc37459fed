// The agent → rank direction: requests the agent publishes to every rank of its run
// ("checkpoint", and "prompt ID\nTEXT" from a prompt request). A ZeroMQ SUB socket
// connected at init(); the rank polls it between steps, so nothing runs behind the
// worker's back and no thread is added.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace orrery::runtime {

class CommandSubscriber {
 public:
  // endpoint: the agent's commands endpoint (ORRERY_COMMANDS); throws zmq::error_t when malformed.
  explicit CommandSubscriber(const std::string& endpoint);
  ~CommandSubscriber();
  CommandSubscriber(const CommandSubscriber&) = delete;
  CommandSubscriber& operator=(const CommandSubscriber&) = delete;

  // Reads every command that has arrived; true when one of them was `command` (all such
  // are consumed). Others are kept for take_prefixed, up to 64 of them.
  // Not thread-safe (a ZeroMQ socket belongs to one thread at a time): callers serialise.
  bool take(const std::string& command);
  // The oldest kept command starting with prefix, without the prefix (consumed), if any.
  std::optional<std::string> take_prefixed(std::string_view prefix);

 private:
  struct Transport;
  void receive();
  std::unique_ptr<Transport> transport_;
  std::deque<std::string> kept_;
};

}  // namespace orrery::runtime
