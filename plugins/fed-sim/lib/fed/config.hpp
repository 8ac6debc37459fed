// fed-sim's run configuration: the kind's parameters (plugins/fed-sim/kind.json),
// parsed from the worker's "--name=value" arguments and checked for the
// combinations a manifest range cannot express (Krum with f >= 1/2, alpha <= 0,
// a trace distribution without a trace file, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "fed/aggregate.hpp"
#include "fed/attack.hpp"
#include "fed/client_profile.hpp"
#include "fed/dataset.hpp"
#include "fed/model.hpp"
#include "fed/partition.hpp"
#include "fed/outages.hpp"
#include "fed/topology.hpp"

namespace orrery::fed {

enum class Algorithm { fedavg, fedprox, fedasync, fedbuff, fedcompass, dpsgd, modest };

struct Config {
  // data
  std::string dataset = "digits";
  std::string data_dir = std::string(kSklearnDataDir);
  double test_fraction = 0.2;
  PartitionKind partition = PartitionKind::iid;
  double dirichlet_alpha = 0.5;
  // learners
  ModelKind model = ModelKind::logreg;
  std::int64_t hidden = 32;
  std::int64_t clients = 10;
  std::int64_t local_epochs = 1;
  std::int64_t batch_size = 16;
  double lr = 0.1;
  // algorithm
  Algorithm algorithm = Algorithm::fedavg;
  double prox_mu = 0.01;
  std::int64_t rounds = 20;   // synchronous rounds; asynchronous: server model versions
  double client_fraction = 1.0;
  // asynchronous algorithms (fedasync, fedbuff, fedcompass; see async_run.hpp)
  std::int64_t concurrency = 10;
  double staleness_exponent = 0.5;
  double async_alpha = 0.6;
  std::int64_t buffer_size = 5;
  double server_lr = 1.0;
  std::int64_t max_local_steps = 20;   // fedcompass: Q_max
  double min_steps_ratio = 0.2;        // fedcompass: Q_min = max(1, floor(ratio Q_max))
  double latest_time_factor = 1.5;     // fedcompass: lambda
  // Byzantine clients and the aggregator
  double byzantine_fraction = 0;
  AttackKind attack = AttackKind::sign_flip;
  double attack_scale = 10;
  AggregatorKind aggregator = AggregatorKind::mean;
  double trim_fraction = 0.2;
  std::int64_t krum_select = 1;
  std::int64_t flag_dims = 3;   // flag aggregator: subspace dimension k
  // Synchronous mean only: each rank sums its clients' weighted updates exactly
  // (exact_sum.hpp) and MPI_Reduce adds the ranks' sums in a tree, instead of
  // rank 0 receiving and averaging every update (LIFL-style hierarchical aggregation).
  bool aggregation_tree = false;
  // Synchronous runs: stragglers tolerated per coding group by gradient coding (round_plan.hpp); 0: off.
  std::int64_t gradient_coding = 0;
  // Synchronous runs: sequential gradient coding's delay T (sequential_coding.hpp): a round's sum may be
  // decoded up to T slots after it starts, on groups of gradient_coding + 1 clients (0 allowed); 0: off.
  std::int64_t sgc_delay = 0;
  // modest: aggregators sampled per round (round_plan.hpp)
  std::int64_t aggregators = 3;
  // decentralized (dpsgd; see gossip.hpp, topology.hpp)
  TopologyKind topology = TopologyKind::ring;
  std::int64_t degree = 4;
  double edge_prob = 0.2;
  double rewire_prob = 0.1;
  bool variance_correction = false;
  // failures (outages.hpp; crashes also in synchronous runs, round_plan.hpp), with the kind's defaults
  OutageConfig outage{.crash_rounds = 3, .disaster_start = 1};
  // virtual time
  DistKind speed_dist = DistKind::uniform;
  double speed_mean = 100;
  double speed_spread = 0.5;
  DistKind link_dist = DistKind::uniform;
  double bandwidth_mean = 1e6;
  double latency_mean = 0.05;
  double link_spread = 0.5;
  std::string trace_file;
  // run
  std::int64_t eval_every = 1;
  std::int64_t seed = 1;

  // dataset digits_shifted: the digits, training images augmented with their 8 one-pixel shifts.
  bool shifted() const { return dataset == "digits_shifted"; }
  bool asynchronous() const {
    return algorithm == Algorithm::fedasync || algorithm == Algorithm::fedbuff || algorithm == Algorithm::fedcompass;
  }
  // Clients sampled per round: round(client_fraction * clients), at least 1.
  std::size_t per_round() const;
  // The f Krum must tolerate among a round's updates: floor(byzantine_fraction * per_round()).
  std::size_t byzantine_per_round() const;
};

// Parses "--name=value" arguments over the defaults above. Throws
// std::invalid_argument naming the option; sets help on --help / -h.
Config parse_config(std::span<char* const> args, bool& help);

// Checks the combinations of values. Throws std::invalid_argument with the reason.
// (Data-dependent checks, such as more clients than training samples, come when
// the data is loaded: make_partition.)
void validate(const Config& c);

extern const char* const kUsage;

}  // namespace orrery::fed
