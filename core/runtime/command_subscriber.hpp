// The agent → rank direction: requests the agent publishes to every rank of its run
// (today only "checkpoint"). A ZeroMQ SUB socket connected at init(); the rank polls it
// between steps, so nothing runs behind the worker's back and no thread is added.
#pragma once

#include <memory>
#include <string>

namespace orrery::runtime {

class CommandSubscriber {
 public:
  // endpoint: the agent's commands endpoint (ORRERY_COMMANDS); throws zmq::error_t when malformed.
  explicit CommandSubscriber(const std::string& endpoint);
  ~CommandSubscriber();
  CommandSubscriber(const CommandSubscriber&) = delete;
  CommandSubscriber& operator=(const CommandSubscriber&) = delete;

  // Reads every command that has arrived; true when one of them was `command`. Others are dropped.
  // Not thread-safe (a ZeroMQ socket belongs to one thread at a time): callers serialise.
  bool take(const std::string& command);

 private:
  struct Transport;
  std::unique_ptr<Transport> transport_;
};

}  // namespace orrery::runtime
