#include "command_subscriber.hpp"

#include "runtime/curve_keys.hpp"

#include <zmq.hpp>

namespace orrery::runtime {

struct CommandSubscriber::Transport {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::sub};
};

CommandSubscriber::CommandSubscriber(const std::string& endpoint) : transport_(std::make_unique<Transport>()) {
  transport_->socket.set(zmq::sockopt::linger, 0);
  transport_->socket.set(zmq::sockopt::maxmsgsize, int64_t{8192});  // a word, or a prompt of at most 4096 bytes
  transport_->socket.set(zmq::sockopt::subscribe, "");
  secure_rank_socket(transport_->socket, endpoint);
  transport_->socket.connect(endpoint);
}

CommandSubscriber::~CommandSubscriber() = default;

void CommandSubscriber::receive() {
  zmq::message_t message;
  while (transport_->socket.recv(message, zmq::recv_flags::dontwait)) {
    kept_.push_back(message.to_string());
    if (kept_.size() > 64) kept_.pop_front();  // a worker that never asks for them
  }
}

bool CommandSubscriber::take(const std::string& command) {
  receive();
  const auto before = kept_.size();
  std::erase(kept_, command);
  return kept_.size() != before;
}

std::optional<std::string> CommandSubscriber::take_prefixed(std::string_view prefix) {
  receive();
  for (auto it = kept_.begin(); it != kept_.end(); ++it)
    if (it->starts_with(prefix)) {
      std::string rest = it->substr(prefix.size());
      kept_.erase(it);
      return rest;
    }
  return std::nullopt;
}

}  // namespace orrery::runtime
