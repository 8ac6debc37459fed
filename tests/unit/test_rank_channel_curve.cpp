// The ranks' channels to the agent over TCP (runtime/curve_keys.hpp), on real ZeroMQ TCP
// sockets on 127.0.0.1: a rank holding the run's keys gets through, encrypted; a peer with
// another server key or none at all never delivers a frame; keys come from the environment
// complete and well-formed or not at all; and the runtime's telemetry client sends over it.
#include "runtime/curve_keys.hpp"
#include "name_table.hpp"
#include "telemetry_client.hpp"

#include <gtest/gtest.h>
#include <zmq.hpp>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

using orrery::runtime::CurveKeyPair;
using orrery::runtime::make_curve_keypair;
using orrery::runtime::make_curve_server;
using orrery::runtime::rank_channel_keys_from_env;
using orrery::runtime::secure_rank_socket;

namespace {

// Sets the three ORRERY_CURVE_* variables for one test and clears them after.
struct KeyEnvironment {
  KeyEnvironment(const std::string& server, const CurveKeyPair& client) {
    setenv("ORRERY_CURVE_SERVER", server.c_str(), 1);
    setenv("ORRERY_CURVE_PUBLIC", client.public_key.c_str(), 1);
    setenv("ORRERY_CURVE_SECRET", client.secret_key.c_str(), 1);
  }
  ~KeyEnvironment() { clear(); }
  static void clear() {
    for (const char* name : {"ORRERY_CURVE_SERVER", "ORRERY_CURVE_PUBLIC", "ORRERY_CURVE_SECRET"}) unsetenv(name);
  }
};

// The agent's end: a CURVE server PULL socket on 127.0.0.1, a port the system picks.
struct AgentEnd {
  zmq::context_t context{1};
  zmq::socket_t pull{context, zmq::socket_type::pull};
  CurveKeyPair keys = make_curve_keypair();
  std::string endpoint;
  AgentEnd() {
    make_curve_server(pull, keys);
    pull.bind("tcp://127.0.0.1:*");
    endpoint = pull.get(zmq::sockopt::last_endpoint);
  }
  std::optional<std::string> receive(int timeout_ms) {
    pull.set(zmq::sockopt::rcvtimeo, timeout_ms);
    zmq::message_t message;
    if (!pull.recv(message)) return std::nullopt;
    return message.to_string();
  }
};

// A rank's end: a PUSH socket secured from the environment, one frame sent.
void send_as_rank(zmq::context_t& context, const std::string& endpoint, const std::string& text) {
  zmq::socket_t push{context, zmq::socket_type::push};
  push.set(zmq::sockopt::linger, 1000);
  secure_rank_socket(push, endpoint);
  push.connect(endpoint);
  push.send(zmq::buffer(text), zmq::send_flags::dontwait);
}

}  // namespace

TEST(RankChannelCurve, KeysComeCompleteAndWellFormedOrNotAtAll) {
  KeyEnvironment::clear();
  EXPECT_FALSE(rank_channel_keys_from_env().has_value());
  const CurveKeyPair server = make_curve_keypair(), client = make_curve_keypair();
  EXPECT_EQ(server.public_key.size(), 40u);
  EXPECT_NE(server.public_key, client.public_key);
  {
    KeyEnvironment env(server.public_key, client);
    const auto keys = rank_channel_keys_from_env();
    ASSERT_TRUE(keys.has_value());
    EXPECT_EQ(keys->server_public, server.public_key);
    EXPECT_EQ(keys->client.secret_key, client.secret_key);
    unsetenv("ORRERY_CURVE_SECRET");
    EXPECT_THROW(rank_channel_keys_from_env(), std::runtime_error);   // two of three
    setenv("ORRERY_CURVE_SECRET", "not a key", 1);
    EXPECT_THROW(rank_channel_keys_from_env(), std::runtime_error);
    setenv("ORRERY_CURVE_SECRET", (client.secret_key.substr(0, 39) + "\"").c_str(), 1);   // not Z85
    EXPECT_THROW(rank_channel_keys_from_env(), std::runtime_error);
  }
  // Without keys a tcp:// endpoint is refused; an ipc:// one needs none.
  zmq::context_t context{1};
  zmq::socket_t push{context, zmq::socket_type::push};
  EXPECT_THROW(secure_rank_socket(push, "tcp://127.0.0.1:5555"), std::runtime_error);
  EXPECT_NO_THROW(secure_rank_socket(push, "ipc:///tmp/orrery-test.sock"));
}

TEST(RankChannelCurve, ARankWithTheRunsKeysGetsThrough) {
  AgentEnd agent;
  ASSERT_EQ(agent.endpoint.rfind("tcp://127.0.0.1:", 0), 0u) << agent.endpoint;
  KeyEnvironment env(agent.keys.public_key, make_curve_keypair());
  zmq::context_t context{1};
  send_as_rank(context, agent.endpoint, "loss 0.5");
  EXPECT_EQ(agent.receive(5000), std::optional<std::string>("loss 0.5"));
}

TEST(RankChannelCurve, APeerWithoutTheServerKeyDeliversNothing) {
  AgentEnd agent;
  zmq::context_t context{1};
  {
    // Another server's public key: the handshake fails, the frame never arrives.
    KeyEnvironment env(make_curve_keypair().public_key, make_curve_keypair());
    send_as_rank(context, agent.endpoint, "forged 1");
  }
  {
    // No CURVE at all (what any process on the network could try).
    zmq::socket_t plain{context, zmq::socket_type::push};
    plain.set(zmq::sockopt::linger, 0);
    plain.connect(agent.endpoint);
    plain.send(zmq::str_buffer("forged 2"), zmq::send_flags::dontwait);
    EXPECT_FALSE(agent.receive(1500).has_value());
  }
  // The channel still works for the rank that holds the key.
  KeyEnvironment env(agent.keys.public_key, make_curve_keypair());
  send_as_rank(context, agent.endpoint, "loss 0.25");
  EXPECT_EQ(agent.receive(5000), std::optional<std::string>("loss 0.25"));
}

TEST(RankChannelCurve, TheTelemetryClientSendsOverIt) {
  AgentEnd agent;
  KeyEnvironment env(agent.keys.public_key, make_curve_keypair());
  orrery::runtime::NameTable names;
  orrery::runtime::ClientOptions options;
  options.endpoint = agent.endpoint;
  orrery::runtime::TelemetryClient client(options, names);
  client.log({1.0, 1, "over TCP"});
  client.stop(std::chrono::milliseconds(3000));
  const auto frame = agent.receive(5000);
  ASSERT_TRUE(frame.has_value());
  EXPECT_NE(frame->find("over TCP"), std::string::npos);   // msgpack keeps the text as is
}
