// The ranks' channels to the agent (telemetry, commands) over TCP, for ranks on other
// machines than the agent's (a cluster's nodes). A unix socket needs no more than its
// folder's mode (only the user can enter it); a TCP port is open to anyone who can reach the
// machine. So over TCP the agent is a ZeroMQ CURVE server with a key pair made for the run,
// and the ranks get the server's public key and a client key pair in their environment
// (ORRERY_CURVE_SERVER, ORRERY_CURVE_PUBLIC, ORRERY_CURVE_SECRET), never on disk: frames are
// encrypted, and a peer that does not hold the server key cannot complete the handshake.
#pragma once

#include <zmq.hpp>

#include <optional>
#include <string>

namespace orrery::runtime {

struct CurveKeyPair {
  std::string public_key, secret_key;   // Z85 text, 40 characters each
};

// A fresh key pair from libzmq (libsodium underneath); throws std::runtime_error without CURVE support.
CurveKeyPair make_curve_keypair();

// The keys a rank was given: nullopt when none of the three variables is set; throws
// std::runtime_error when only some are, or one is not 40 Z85 characters.
struct RankChannelKeys {
  std::string server_public;
  CurveKeyPair client;
};
std::optional<RankChannelKeys> rank_channel_keys_from_env();

// Before a rank's socket connects to `endpoint`: a tcp:// endpoint gets the CURVE client
// options from the environment and is refused (std::runtime_error) without them, so a
// rank never talks to the agent in clear over a network; other transports are left as they are.
void secure_rank_socket(zmq::socket_t& socket, const std::string& endpoint);

// The agent's side of a TCP rank channel, before bind().
void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& server);

}  // namespace orrery::runtime
