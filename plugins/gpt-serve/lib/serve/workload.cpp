#include "serve/workload.hpp"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>


namespace orrery::serve {

namespace {

// Gamma(shape, 1) by Marsaglia and Tsang, with the shape < 1 boost (Gamma(k+1) * U^(1/k)).
double standard_gamma(gpt::Rng& rng, double shape) {
  if (shape < 1.0) {
    const double u = (static_cast<double>(rng.next() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    return standard_gamma(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = rng.normal(), v0 = 1.0 + c * x;
    if (v0 <= 0) continue;
    const double v = v0 * v0 * v0;
    const double u = (static_cast<double>(rng.next() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

}  // namespace

int draw_length(gpt::Rng& rng, const std::string& distribution, LengthRange r) {
  if (distribution == "lognormal" && r.max > r.min) {
    const double mu = 0.5 * (std::log(r.min) + std::log(r.max)), sigma = (std::log(r.max) - std::log(r.min)) / 4.0;
    for (;;) {  // ~95 % of draws land in the range at once
      const long n = std::lround(std::exp(mu + sigma * rng.normal()));
      if (n >= r.min && n <= r.max) return static_cast<int>(n);
    }
  }
  return r.min + static_cast<int>(rng.next() % static_cast<std::uint64_t>(r.max - r.min + 1));
}

void validate(const WorkloadOptions& o) {
  if (o.trace.empty()) {
    if (o.arrival != "poisson" && o.arrival != "gamma")
      throw std::invalid_argument("--arrival: poisson or gamma, got '" + o.arrival + "'");
    if (!(o.rate > 0) || !std::isfinite(o.rate)) throw std::invalid_argument("--rate: must be greater than 0 requests/s");
    if (!(o.gamma_shape > 0) || !std::isfinite(o.gamma_shape)) throw std::invalid_argument("--gamma_shape: must be greater than 0");
    if (!(o.duration_s > 0) || !std::isfinite(o.duration_s)) throw std::invalid_argument("--duration_s: must be greater than 0");
    if (o.lengths != "uniform" && o.lengths != "lognormal")
      throw std::invalid_argument("--lengths: uniform or lognormal, got '" + o.lengths + "'");
  }
  for (const auto& [name, r] : {std::pair{"prompt", o.prompt}, std::pair{"output", o.output}})
    if (r.min < 1 || r.max < r.min)
      throw std::invalid_argument(std::string("--") + name + "_min/max: need 1 <= min <= max, got " + std::to_string(r.min) +
                                  " .. " + std::to_string(r.max));
}

std::vector<TraceEntry> read_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("trace " + path + " cannot be read");
  std::vector<TraceEntry> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "trace " + path + " line " + std::to_string(n) + ": ";
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + "not a JSON object");
    TraceEntry e;
    auto field = [&](const char* key) -> const nlohmann::json& {
      if (!j.contains(key) || !j[key].is_number()) throw std::runtime_error(where + "'" + key + "' missing or not a number");
      return j[key];
    };
    e.arrival_s = field("arrival_s").get<double>();
    for (auto [key, to] : {std::pair{"prompt_tokens", &e.prompt_tokens}, std::pair{"output_tokens", &e.output_tokens}}) {
      const auto& v = field(key);
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 1000000)
        throw std::runtime_error(where + "'" + key + "' must be an integer from 1 to 1000000");
      *to = v.get<int>();
    }
    if (!std::isfinite(e.arrival_s) || e.arrival_s < 0) throw std::runtime_error(where + "'arrival_s' must be >= 0");
    if (!out.empty() && e.arrival_s < out.back().arrival_s)
      throw std::runtime_error(where + "arrivals must not go back in time");
    out.push_back(e);
  }
  if (out.empty()) throw std::runtime_error("trace " + path + " has no request");
  return out;
}

std::vector<double> arrival_times(const WorkloadOptions& o) {
  gpt::Rng rng(o.seed ^ 0x6172726976616Cull);
  std::vector<double> t;
  // Mean inter-arrival 1 / rate in both: exponential (gamma of shape 1) or gamma of shape k, scale 1 / (k rate).
  const double shape = o.arrival == "gamma" ? o.gamma_shape : 1.0;
  for (double now = 0;;) {
    now += standard_gamma(rng, shape) / (shape * o.rate);
    if (now >= o.duration_s) return t;
    t.push_back(now);
  }
}

std::vector<TraceEntry> workload_entries(const WorkloadOptions& o) {
  if (!o.trace.empty()) return read_trace(o.trace);
  std::vector<TraceEntry> entries;
  gpt::Rng lengths(o.seed ^ 0x6C656E67746873ull);
  for (const double t : arrival_times(o)) entries.push_back({t, draw_length(lengths, o.lengths, o.prompt), draw_length(lengths, o.lengths, o.output)});
  return entries;
}

std::vector<Request> generate_workload(const WorkloadOptions& o, const std::vector<int>& corpus) {
  const std::vector<TraceEntry> entries = workload_entries(o);
  gpt::Rng where(o.seed ^ 0x70726F6D707473ull);
  std::vector<Request> out;
  for (const auto& e : entries) {
    if (corpus.size() <= static_cast<std::size_t>(e.prompt_tokens))
      throw std::invalid_argument("the corpus has " + std::to_string(corpus.size()) + " tokens, too few for a prompt of " +
                                  std::to_string(e.prompt_tokens));
    const auto start = where.next() % (corpus.size() - static_cast<std::size_t>(e.prompt_tokens));
    Request r;
    r.id = static_cast<std::int64_t>(out.size());
    r.prompt.assign(corpus.begin() + static_cast<std::ptrdiff_t>(start),
                    corpus.begin() + static_cast<std::ptrdiff_t>(start) + e.prompt_tokens);
    r.max_new_tokens = e.output_tokens;
    r.arrival_s = e.arrival_s;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace orrery::serve
