#include "fed/client_profile.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

#include "fed/choice.hpp"
#include "fed/dataset.hpp"
#include "fed/rng.hpp"

namespace orrery::fed {

DistKind parse_dist(std::string_view name) {
  return parse_choice<DistKind>("distribution", name,
                                {{"uniform", DistKind::uniform},
                                 {"normal", DistKind::normal},
                                 {"exponential", DistKind::exponential},
                                 {"trace", DistKind::trace}});
}

Trace load_trace(const std::filesystem::path& path) {
  const std::string text = read_maybe_gzip(path);
  Trace t;
  std::size_t line_no = 0, start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + start, nl - start);
    start = nl + 1;
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    double v[3] = {0, 0, 0};
    std::size_t field = 0;
    const char* p = line.data();
    const char* end = line.data() + line.size();
    bool ok = true;
    while (ok && field < 3) {
      while (p < end && *p == ' ') ++p;
      auto [next, ec] = std::from_chars(p, end, v[field]);
      ok = ec == std::errc() && std::isfinite(v[field]);
      p = next;
      while (p < end && *p == ' ') ++p;
      ++field;
      if (field < 3) ok = ok && p < end && *p++ == ',';
    }
    if (!ok || p != end || !(v[0] > 0) || !(v[1] > 0) || !(v[2] >= 0))
      throw std::runtime_error(path.string() + ", line " + std::to_string(line_no) +
                               ": expected 'speed,bandwidth,latency' (samples/s > 0, bytes/s > 0, s >= 0)");
    t.rows.push_back({v[0], v[1], v[2]});
  }
  if (t.rows.empty()) throw std::runtime_error(path.string() + ": the trace has no lines");
  return t;
}

namespace {

double draw(const Dist& d, Rng& rng, double traced) {
  switch (d.kind) {
    case DistKind::uniform: return d.mean * rng.uniform(1.0 - d.spread, 1.0 + d.spread);
    case DistKind::normal: return std::max(0.05 * d.mean, rng.normal(d.mean, d.spread * d.mean));
    case DistKind::exponential: return rng.exponential(d.mean);
    case DistKind::trace: return traced;
  }
  return d.mean;
}

}  // namespace

ClientProfile client_profile(const ProfileConfig& cfg, std::uint64_t seed, std::size_t client) {
  ClientProfile traced;
  if (cfg.trace) traced = cfg.trace->rows[client % cfg.trace->rows.size()];
  // One stream per quantity, so changing one distribution leaves the others' values as they were.
  Rng speed(seed, Stream::profile, client, 0), bandwidth(seed, Stream::profile, client, 1),
      latency(seed, Stream::profile, client, 2);
  ClientProfile p;
  p.speed = draw(cfg.speed, speed, traced.speed);
  p.bandwidth = draw(cfg.bandwidth, bandwidth, traced.bandwidth);
  p.latency = draw(cfg.latency, latency, traced.latency);
  return p;
}

double round_seconds(const ClientProfile& p, double samples, double model_bytes) {
  const double transfer = p.latency + model_bytes / p.bandwidth;
  return transfer + samples / p.speed + transfer;
}

}  // namespace orrery::fed
