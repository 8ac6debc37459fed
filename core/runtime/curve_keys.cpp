#include "runtime/curve_keys.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace orrery::runtime {

namespace {

bool valid_z85_key(std::string_view key) {
  // ZeroMQ's Z85 alphabet (RFC 32/Z85): digits, letters and these symbols.
  constexpr std::string_view kSymbols = ".-:+=^!/*?&<>()[]{}@%$#";
  if (key.size() != 40) return false;
  for (char c : key) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && kSymbols.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

CurveKeyPair make_curve_keypair() {
  char public_key[41] = {}, secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    throw std::runtime_error(std::string("cannot make CURVE keys (libzmq without CURVE support?): ") + zmq_strerror(zmq_errno()));
  return {public_key, secret_key};
}

std::optional<RankChannelKeys> rank_channel_keys_from_env() {
  const char* names[] = {"ORRERY_CURVE_SERVER", "ORRERY_CURVE_PUBLIC", "ORRERY_CURVE_SECRET"};
  std::string values[3];
  int set = 0;
  for (int i = 0; i < 3; ++i) {
    if (const char* v = std::getenv(names[i]); v && *v) {
      values[i] = v;
      ++set;
      if (!valid_z85_key(values[i])) throw std::runtime_error(std::string(names[i]) + " is not a CURVE key (40 Z85 characters)");
    }
  }
  if (set == 0) return std::nullopt;
  if (set != 3) throw std::runtime_error("ORRERY_CURVE_SERVER, ORRERY_CURVE_PUBLIC and ORRERY_CURVE_SECRET come together; some are missing");
  return RankChannelKeys{values[0], {values[1], values[2]}};
}

void secure_rank_socket(zmq::socket_t& socket, const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return;
  const auto keys = rank_channel_keys_from_env();
  if (!keys) throw std::runtime_error("a tcp:// agent endpoint needs the run's CURVE keys (ORRERY_CURVE_*), which are not set");
  socket.set(zmq::sockopt::curve_serverkey, keys->server_public);
  socket.set(zmq::sockopt::curve_publickey, keys->client.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys->client.secret_key);
}

void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& server) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, server.secret_key);
}

}  // namespace orrery::runtime
