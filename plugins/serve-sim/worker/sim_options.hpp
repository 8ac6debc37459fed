// The serve-sim worker's parameters (every parameter of plugins/serve-sim/kind.json as a
// --name=value option), in the units the kind shows (ms, GiB, GB/s), and their validation.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "serve/serve_metrics.hpp"
#include "serve/workload.hpp"
#include "sim/cluster_sim.hpp"

namespace orrery::sim {

struct SimOptions {
  std::string mode = "simulate";  // simulate: one cluster | search: placements and batch limits | calibrate
  std::vector<std::string> calibrate_from;  // calibrate: the gpt-serve runs (ids, id prefixes or names) to fit
  std::string calibration;        // simulate, search: a calibrate run whose fitted costs replace the cost options
  // With a calibration: the machine speed to simulate, as a gpt-serve run whose speed probes
  // measured it (speed_of: its probe over the fitting runs', machine_speed.hpp) or a factor
  // (speed_scale) the fitted compute costs are multiplied by. Neither: the fitting runs' speed.
  std::string speed_of;
  double speed_scale = 0;  // 0: not given
  // speed_of's model of the other speed: uniform (every compute cost x the ratio of
  // probe_speed) or preemptions (costs x the median probes' ratio, the jitter's preemptions
  // stretched by the contentions' ratio: machine_speed.hpp).
  std::string speed_model = "preemptions";
  // kv_gbps was given (not 0): it replaces a calibration's fitted KV transfer cost (bandwidth
  // and fixed cost both) instead of being replaced by it. Not given: 10 GB/s, no fixed cost.
  bool kv_gbps_given = false;
  ClusterOptions cluster;
  serve::WorkloadOptions workload;
  serve::Slo slo;
  int max_instances = 4;           // search
  std::vector<int> batch_limits;   // search ("4,8,16")
  int per_request_limit = 10000;   // per-request series only for runs of at most this many requests
  double attainment_target = 0.9;  // search: the winners' max rate per GPU at this SLO attainment
  int replicas = 1;                 // simulate: runs under other jitter draws pooled into the percentiles
  // A calibration's jitter: stretches of its measured sequences (sequences) or its quantiles
  // drawn independently (independent; what a calibration without sequences does anyway).
  std::string jitter = "sequences";
};

extern const char* const kSimUsage;

// Throws std::invalid_argument naming the option.
SimOptions parse_sim_options(std::span<char* const> args, bool& help);

}  // namespace orrery::sim
