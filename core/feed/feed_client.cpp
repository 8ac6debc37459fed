#include "feed/feed_client.hpp"

#include <zmq.hpp>

#include <cerrno>
#include <stdexcept>

namespace orrery::feed {

struct FeedClient::Impl {
  zmq::context_t context{1};
  zmq::socket_t sub{context, zmq::socket_type::sub};
};

FeedClient::FeedClient(const runfiles::RunRecord& record, bool want_batches) : impl_(std::make_unique<Impl>()) {
  if (record.agent.feed.empty()) throw std::runtime_error("run " + record.id + " has no live feed (no agent)");
  impl_->sub.set(zmq::sockopt::linger, 0);
  impl_->sub.set(zmq::sockopt::rcvhwm, 100000);
  impl_->sub.set(zmq::sockopt::subscribe, "status");
  if (want_batches) impl_->sub.set(zmq::sockopt::subscribe, "batch");
  impl_->sub.connect(record.agent.feed);
}

FeedClient::~FeedClient() = default;

std::optional<FeedMessage> FeedClient::next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return std::nullopt;
    zmq::pollitem_t item{impl_->sub.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, left);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return std::nullopt;   // e.g. Ctrl-C: let the caller look at its flag
      throw;
    }
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    zmq::message_t topic, body;
    if (!impl_->sub.recv(topic, zmq::recv_flags::dontwait)) continue;
    if (!topic.more()) continue;
    if (!impl_->sub.recv(body, zmq::recv_flags::dontwait)) continue;
    while (body.more()) {   // skip any extra parts a newer agent may add
      zmq::message_t extra;
      if (!impl_->sub.recv(extra, zmq::recv_flags::dontwait)) break;
      if (!extra.more()) break;
    }
    auto t = topic.to_string_view();
    if (t == "status") {
      auto j = nlohmann::json::parse(body.to_string_view(), nullptr, false);
      if (j.is_object()) return StatusMessage{std::move(j)};
    } else if (t == "batch") {
      if (auto b = telemetry::decode(body.data(), body.size())) return BatchMessage{std::move(*b)};
    }
  }
}

std::optional<nlohmann::json> control_request(const runfiles::RunRecord& record, const nlohmann::json& request,
                                              std::chrono::milliseconds timeout) {
  if (record.agent.control.empty()) return std::nullopt;
  zmq::context_t context{1};
  zmq::socket_t req{context, zmq::socket_type::req};
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  req.set(zmq::sockopt::sndtimeo, static_cast<int>(timeout.count()));
  req.connect(record.agent.control);
  if (!req.send(zmq::buffer(request.dump()), zmq::send_flags::none)) return std::nullopt;
  zmq::message_t reply;
  if (!req.recv(reply)) return std::nullopt;
  auto j = nlohmann::json::parse(reply.to_string_view(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

}  // namespace orrery::feed
