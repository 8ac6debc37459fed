#include "fed/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include "fed/choice.hpp"

namespace orrery::fed {

const char* const kUsage =
    "usage: orrery-fed-sim [--name=value ...]\n"
    "  Federated learning simulation; every parameter of plugins/fed-sim/kind.json is a\n"
    "  --name=value option (see plugins/fed-sim/README.md), e.g.\n"
    "  --dataset=digits --clients=100 --rounds=30 --client_fraction=0.1 --aggregator=median\n";

std::size_t Config::per_round() const {
  const auto m = static_cast<std::int64_t>(std::llround(client_fraction * static_cast<double>(clients)));
  return static_cast<std::size_t>(std::clamp<std::int64_t>(m, 1, clients));
}

std::size_t Config::byzantine_per_round() const {
  return static_cast<std::size_t>(std::floor(byzantine_fraction * static_cast<double>(per_round())));
}

namespace {

std::invalid_argument bad(std::string_view name, const std::string& why) {
  return std::invalid_argument("--" + std::string(name) + ": " + why);
}

template <class T>
T number(std::string_view name, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw bad(name, std::string(std::is_integral_v<T> ? "expects an integer" : "expects a number") + ", got '" +
                        std::string(text) + "'");
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(v)) throw bad(name, "expects a finite number");
  return v;
}

Algorithm parse_algorithm(std::string_view s) {
  return parse_choice<Algorithm>("algorithm", s,
                                 {{"fedavg", Algorithm::fedavg},
                                  {"fedprox", Algorithm::fedprox},
                                  {"modest", Algorithm::modest},
                                  {"fedasync", Algorithm::fedasync},
                                  {"fedbuff", Algorithm::fedbuff},
                                  {"fedcompass", Algorithm::fedcompass},
                                  {"dpsgd", Algorithm::dpsgd}});
}

// name -> how to store its text into the config.
using Setter = std::function<void(std::string_view name, std::string_view text)>;

template <class T>
Setter num(T& field) {
  return [&field](std::string_view n, std::string_view t) { field = number<T>(n, t); };
}
Setter flag(bool& field) {
  return [&field](std::string_view n, std::string_view t) {
    if (t != "true" && t != "false") throw bad(n, "expects true or false, got '" + std::string(t) + "'");
    field = t == "true";
  };
}
Setter text(std::string& field) {
  return [&field](std::string_view, std::string_view t) { field = std::string(t); };
}
template <class E, class Parse>
Setter choice(E& field, Parse parse) {
  return [&field, parse](std::string_view n, std::string_view t) {
    try {
      field = parse(t);
    } catch (const std::invalid_argument& e) {
      throw bad(n, e.what());
    }
  };
}

}  // namespace

Config parse_config(std::span<char* const> args, bool& help) {
  Config c;
  const std::map<std::string_view, Setter> setters = {
      {"dataset", text(c.dataset)},
      {"data_dir", text(c.data_dir)},
      {"test_fraction", num(c.test_fraction)},
      {"partition", choice(c.partition, parse_partition)},
      {"dirichlet_alpha", num(c.dirichlet_alpha)},
      {"model", choice(c.model, parse_model)},
      {"hidden", num(c.hidden)},
      {"clients", num(c.clients)},
      {"local_epochs", num(c.local_epochs)},
      {"batch_size", num(c.batch_size)},
      {"lr", num(c.lr)},
      {"algorithm", choice(c.algorithm, parse_algorithm)},
      {"prox_mu", num(c.prox_mu)},
      {"rounds", num(c.rounds)},
      {"client_fraction", num(c.client_fraction)},
      {"concurrency", num(c.concurrency)},
      {"staleness_exponent", num(c.staleness_exponent)},
      {"async_alpha", num(c.async_alpha)},
      {"buffer_size", num(c.buffer_size)},
      {"server_lr", num(c.server_lr)},
      {"max_local_steps", num(c.max_local_steps)},
      {"min_steps_ratio", num(c.min_steps_ratio)},
      {"latest_time_factor", num(c.latest_time_factor)},
      {"byzantine_fraction", num(c.byzantine_fraction)},
      {"attack", choice(c.attack, parse_attack)},
      {"attack_scale", num(c.attack_scale)},
      {"aggregator", choice(c.aggregator, parse_aggregator)},
      {"trim_fraction", num(c.trim_fraction)},
      {"krum_select", num(c.krum_select)},
      {"flag_dims", num(c.flag_dims)},
      {"aggregation_tree", flag(c.aggregation_tree)},
      {"gradient_coding", num(c.gradient_coding)},
      {"sgc_delay", num(c.sgc_delay)},
      {"aggregators", num(c.aggregators)},
      {"topology", choice(c.topology, parse_topology)},
      {"degree", num(c.degree)},
      {"edge_prob", num(c.edge_prob)},
      {"rewire_prob", num(c.rewire_prob)},
      {"variance_correction", flag(c.variance_correction)},
      {"crash_prob", num(c.outage.crash_prob)},
      {"crash_rounds", num(c.outage.crash_rounds)},
      {"link_failure_prob", num(c.outage.link_failure_prob)},
      {"disaster_fraction", num(c.outage.disaster_fraction)},
      {"disaster_start", num(c.outage.disaster_start)},
      {"disaster_rounds", num(c.outage.disaster_rounds)},
      {"speed_dist", choice(c.speed_dist, parse_dist)},
      {"speed_mean", num(c.speed_mean)},
      {"speed_spread", num(c.speed_spread)},
      {"link_dist", choice(c.link_dist, parse_dist)},
      {"bandwidth_mean", num(c.bandwidth_mean)},
      {"latency_mean", num(c.latency_mean)},
      {"link_spread", num(c.link_spread)},
      {"trace_file", text(c.trace_file)},
      {"eval_every", num(c.eval_every)},
      {"seed", num(c.seed)},
  };
  help = false;
  for (const char* a : args) {
    const std::string_view arg = a;
    if (arg == "--help" || arg == "-h") {
      help = true;
      return c;
    }
    const auto eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos)
      throw std::invalid_argument("unexpected argument '" + std::string(arg) + "' (expected --name=value)");
    const std::string_view name = arg.substr(2, eq - 2);
    const auto it = setters.find(name);
    if (it == setters.end()) throw std::invalid_argument("unknown option '--" + std::string(name) + "'");
    it->second(name, arg.substr(eq + 1));
  }
  return c;
}

namespace {

void require(bool ok, std::string_view name, const std::string& why) {
  if (!ok) throw bad(name, why);
}

}  // namespace

void validate(const Config& c) {
  require(c.shifted() || find_dataset(c.dataset), "dataset",
          "unknown data set '" + c.dataset + "' (digits, digits_shifted, breast_cancer, wine)");
  require(c.test_fraction > 0 && c.test_fraction < 1, "test_fraction", "must be between 0 and 1 (exclusive)");
  require(c.partition == PartitionKind::iid || c.dirichlet_alpha > 0, "dirichlet_alpha",
          "must be greater than 0 for the " + std::string(c.partition == PartitionKind::dirichlet ? "dirichlet" : "quantity") +
              " partition (got " + std::to_string(c.dirichlet_alpha) + ")");
  require(c.hidden >= 1, "hidden", "must be at least 1");
  require(c.clients >= 1, "clients", "must be at least 1");
  require(c.local_epochs >= 1, "local_epochs", "must be at least 1");
  require(c.batch_size >= 1, "batch_size", "must be at least 1");
  require(c.lr > 0, "lr", "must be greater than 0");
  require(c.prox_mu >= 0, "prox_mu", "must be at least 0");
  require(c.rounds >= 1, "rounds", "must be at least 1");
  require(c.client_fraction > 0 && c.client_fraction <= 1, "client_fraction", "must be in (0, 1]");
  require(c.byzantine_fraction >= 0 && c.byzantine_fraction < 1, "byzantine_fraction", "must be in [0, 1)");
  require(c.attack_scale >= 0, "attack_scale", "must be at least 0");
  require(c.trim_fraction >= 0 && c.trim_fraction < 0.5, "trim_fraction", "must be in [0, 0.5)");
  require(c.eval_every >= 1, "eval_every", "must be at least 1");
  require(c.flag_dims >= 1, "flag_dims", "must be at least 1");
  require(c.aggregators >= 1 && c.aggregators <= c.clients, "aggregators",
          "must be between 1 and clients (" + std::to_string(c.clients) + ")");
  require(c.speed_mean > 0 && c.bandwidth_mean > 0 && c.latency_mean >= 0, "speed_mean",
          "speed_mean and bandwidth_mean must be greater than 0, latency_mean at least 0");
  require(c.speed_spread >= 0 && c.speed_spread < 1, "speed_spread", "must be in [0, 1)");
  require(c.link_spread >= 0 && c.link_spread < 1, "link_spread", "must be in [0, 1)");
  const bool traced = c.speed_dist == DistKind::trace || c.link_dist == DistKind::trace;
  require(!traced || !c.trace_file.empty(), "trace_file", "is required when speed_dist or link_dist is 'trace'");

  if (c.algorithm == Algorithm::dpsgd) {
    require((c.aggregator == AggregatorKind::mean || c.aggregator == AggregatorKind::bristle) && c.client_fraction == 1,
            "algorithm",
            "dpsgd has no server: every node trains and gossips each round (client_fraction 1, aggregator mean or "
            "bristle)");
    require(c.byzantine_fraction == 0 || c.attack != AttackKind::alie, "attack",
            "alie needs the attackers' updates together at a server: not in dpsgd");
    require(c.edge_prob >= 0 && c.edge_prob <= 1, "edge_prob", "must be in [0, 1]");
    require(c.rewire_prob >= 0 && c.rewire_prob <= 1, "rewire_prob", "must be in [0, 1]");
    require(c.degree >= 1, "degree", "must be at least 1");
  }
  const OutageConfig& o = c.outage;
  const bool network_failures = o.link_failure_prob > 0 || o.disaster_fraction > 0;
  require(!network_failures || c.algorithm == Algorithm::dpsgd, "algorithm",
          "link failures and disasters apply to decentralized runs (dpsgd)");
  require(c.sgc_delay >= 0, "sgc_delay", "must be at least 0");
  if (c.gradient_coding != 0 || c.sgc_delay != 0) {
    const auto s = c.gradient_coding;
    require(s >= 0 && s < c.clients, "gradient_coding", "must be between 0 and clients - 1");
    require(c.clients % (s + 1) == 0, "gradient_coding",
            "groups of gradient_coding + 1 clients must divide clients (" + std::to_string(c.clients) + ")");
    require((c.algorithm == Algorithm::fedavg || c.algorithm == Algorithm::fedprox) && c.client_fraction == 1 &&
                c.aggregator == AggregatorKind::mean && c.byzantine_fraction == 0 && !c.aggregation_tree,
            c.sgc_delay != 0 ? "sgc_delay" : "gradient_coding",
            "codes FedAvg's weighted sum over every client: it needs fedavg or fedprox, client_fraction 1, the "
            "mean aggregator, no Byzantine clients and aggregation_tree=false");
  }
  require(o.crash_prob >= 0 && o.crash_prob < 1, "crash_prob", "must be in [0, 1)");
  require(o.crash_rounds >= 1, "crash_rounds", "must be at least 1");
  require(o.link_failure_prob >= 0 && o.link_failure_prob < 1, "link_failure_prob", "must be in [0, 1)");
  require(o.disaster_fraction >= 0 && o.disaster_fraction < 1, "disaster_fraction", "must be in [0, 1)");
  require(o.disaster_start >= 1 && o.disaster_rounds >= 0, "disaster_start",
          "disaster_start must be at least 1 and disaster_rounds at least 0");
  if (c.aggregation_tree) {
    require(!c.asynchronous() && c.aggregator == AggregatorKind::mean, "aggregation_tree",
            "sums the ranks' updates in a tree: it needs a synchronous algorithm and the mean aggregator");
    require(c.byzantine_fraction == 0 || c.attack != AttackKind::alie, "aggregation_tree",
            "alie needs a round's attackers together at one place: use aggregation_tree=false");
  }
  if (c.asynchronous()) {
    // FedCompass keeps every client in flight; concurrency is FedAsync's and FedBuff's.
    require(c.algorithm == Algorithm::fedcompass || (c.concurrency >= 1 && c.concurrency <= c.clients), "concurrency",
            "must be between 1 and clients (" + std::to_string(c.clients) + ")");
    require(c.staleness_exponent >= 0, "staleness_exponent", "must be at least 0");
    require(c.async_alpha > 0 && c.async_alpha <= 1, "async_alpha", "must be in (0, 1]");
    require(c.buffer_size >= 1, "buffer_size", "must be at least 1");
    require(c.server_lr > 0, "server_lr", "must be greater than 0");
    require(c.max_local_steps >= 1, "max_local_steps", "must be at least 1");
    require(c.min_steps_ratio > 0 && c.min_steps_ratio <= 1, "min_steps_ratio", "must be in (0, 1]");
    require(c.latest_time_factor >= 1, "latest_time_factor", "must be at least 1");
    require(c.aggregator == AggregatorKind::mean, "aggregator",
            "the asynchronous algorithms fold updates in one by one: only 'mean' applies (the robust rules need a round's updates together)");
    require(c.byzantine_fraction == 0 || c.attack != AttackKind::alie, "attack",
            "alie needs a round's attackers together: use a synchronous algorithm (fedavg, fedprox)");
  }
  require(c.aggregator != AggregatorKind::bristle || c.algorithm == Algorithm::dpsgd, "aggregator",
          "bristle is a gossip rule: it needs algorithm dpsgd");
  if (c.aggregator == AggregatorKind::krum) {
    require(c.byzantine_fraction < 0.5, "byzantine_fraction",
            "krum tolerates fewer than half of the clients being Byzantine (n > 2f + 2); got " +
                std::to_string(c.byzantine_fraction));
    const std::size_t n = c.per_round(), f = c.byzantine_per_round();
    require(n >= 2 * f + 3, "client_fraction",
            "krum needs more than 2f + 2 updates per round: " + std::to_string(n) + " clients per round with f = " +
                std::to_string(f) + " (sample more clients)");
    require(c.krum_select >= 1 && static_cast<std::size_t>(c.krum_select) <= n - f, "krum_select",
            "must be between 1 and n - f = " + std::to_string(n - f) + " (n clients per round, f Byzantine)");
  }
}

}  // namespace orrery::fed
