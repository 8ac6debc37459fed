// A client's hardware as the simulation sees it: how fast it trains and how
// fast its link is. Drawn once per client from the run's distributions (or
// read from a trace), so questions of wall-clock time are answered in virtual
// seconds, independent of the machine that runs the simulation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace orrery::fed {

enum class DistKind { uniform, normal, exponential, trace };
DistKind parse_dist(std::string_view name);   // throws std::invalid_argument

// A positive quantity drawn around `mean`:
//   uniform     : U[mean (1 - spread), mean (1 + spread)], spread in [0, 1)
//   normal      : N(mean, (spread mean)^2), cut at 5 % of the mean (no zero or negative speeds)
//   exponential : Exp(mean), heavy right tail of slow clients when used for durations
//   trace       : values from a trace file (see Trace)
struct Dist {
  DistKind kind = DistKind::uniform;
  double mean = 1;
  double spread = 0;
};

struct ClientProfile {
  double speed = 1;       // samples trained per virtual second
  double bandwidth = 1;   // bytes per virtual second, each way
  double latency = 0;     // seconds per message
};

// A trace: one line per client "speed,bandwidth,latency" (samples/s, bytes/s, s);
// '#' starts a comment. Client k takes line k mod (lines).
struct Trace {
  std::vector<ClientProfile> rows;
};
Trace load_trace(const std::filesystem::path& path);   // throws std::runtime_error with the line

struct ProfileConfig {
  Dist speed, bandwidth, latency;
  const Trace* trace = nullptr;   // required when any of the three is a trace
};

// Client `client`'s profile: a function of (seed, client) only.
ClientProfile client_profile(const ProfileConfig& cfg, std::uint64_t seed, std::size_t client);

// Virtual seconds of one synchronous round for a client: download the model,
// train `samples` samples, upload the update.
double round_seconds(const ClientProfile& p, double samples, double model_bytes);

}  // namespace orrery::fed
