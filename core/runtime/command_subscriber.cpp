#include "command_subscriber.hpp"

#include <zmq.hpp>

namespace orrery::runtime {

struct CommandSubscriber::Transport {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::sub};
};

CommandSubscriber::CommandSubscriber(const std::string& endpoint) : transport_(std::make_unique<Transport>()) {
  transport_->socket.set(zmq::sockopt::linger, 0);
  transport_->socket.set(zmq::sockopt::maxmsgsize, int64_t{4096});  // commands are single words
  transport_->socket.set(zmq::sockopt::subscribe, "");
  transport_->socket.connect(endpoint);
}

CommandSubscriber::~CommandSubscriber() = default;

bool CommandSubscriber::take(const std::string& command) {
  bool seen = false;
  zmq::message_t message;
  while (transport_->socket.recv(message, zmq::recv_flags::dontwait)) {
    if (message.to_string_view() == command) seen = true;
  }
  return seen;
}

}  // namespace orrery::runtime
