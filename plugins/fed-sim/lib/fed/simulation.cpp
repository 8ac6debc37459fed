#include "fed/simulation.hpp"

#include <algorithm>
#include <stdexcept>

#include "fed/aggregate.hpp"
#include "fed/attack.hpp"
#include "fed/client_profile.hpp"

namespace orrery::fed {

namespace {

Dist dist(DistKind kind, double mean, double spread) { return {kind, mean, spread}; }

}  // namespace

std::unique_ptr<Simulation> prepare(const Config& cfg) {
  validate(cfg);
  return prepare(cfg, load_dataset(cfg.shifted() ? "digits" : cfg.dataset, cfg.data_dir));
}

std::unique_ptr<Simulation> prepare(const Config& cfg, const Dataset& all) {
  validate(cfg);
  auto sim = std::make_unique<Simulation>();
  sim->cfg = cfg;
  const auto seed = static_cast<std::uint64_t>(cfg.seed);
  sim->data = split(all, cfg.test_fraction, seed);
  // Shifted copies of the training images only: a test image's shifts in the training set would leak it.
  if (cfg.shifted()) sim->data.train = with_shifts(sim->data.train, find_dataset("digits")->image_side);
  standardise(sim->data);
  sim->partition = make_partition(cfg.partition, sim->data.train.y, sim->data.train.classes,
                                  static_cast<std::size_t>(cfg.clients), cfg.dirichlet_alpha, seed);
  sim->byzantine = choose_byzantine(sim->clients(), cfg.byzantine_fraction, seed);
  sim->model = make_model(cfg.model, sim->data.train.features, sim->data.train.classes,
                          static_cast<std::size_t>(cfg.hidden));
  sim->global.assign(sim->model->parameters(), 0.0f);
  Rng init(seed, Stream::init);
  sim->model->init(sim->global, init);

  if (cfg.algorithm == Algorithm::dpsgd)
    sim->topology = make_topology(cfg.topology, sim->clients(), static_cast<std::size_t>(cfg.degree), cfg.edge_prob,
                                  cfg.rewire_prob, seed);
  if (cfg.speed_dist == DistKind::trace || cfg.link_dist == DistKind::trace) sim->trace = load_trace(cfg.trace_file);
  sim->profiles.speed = dist(cfg.speed_dist, cfg.speed_mean, cfg.speed_spread);
  sim->profiles.bandwidth = dist(cfg.link_dist, cfg.bandwidth_mean, cfg.link_spread);
  sim->profiles.latency = dist(cfg.link_dist, cfg.latency_mean, cfg.link_spread);
  sim->profiles.trace = sim->trace.rows.empty() ? nullptr : &sim->trace;
  return sim;
}

ClientRecord train_client(Simulation& sim, std::size_t client, std::span<const float> base, std::uint64_t stream,
                          std::span<float> update, TrainScratch& scratch, std::int64_t steps) {
  const Config& c = sim.cfg;
  LocalTraining cfg;
  cfg.epochs = static_cast<int>(c.local_epochs);
  cfg.steps = steps;
  cfg.batch_size = static_cast<std::size_t>(c.batch_size);
  cfg.lr = c.lr;
  cfg.prox_mu = c.algorithm == Algorithm::fedprox ? c.prox_mu : 0.0;
  const bool attacker = sim.byzantine[client];
  cfg.flip_labels = attacker && c.attack == AttackKind::label_flip;
  const auto seed = static_cast<std::uint64_t>(c.seed);
  Rng rng(seed, Stream::train, client, stream);
  const LocalResult r = train_local(*sim.model, cfg, sim.data.train, sim.partition.of(client), base, update, rng, scratch);
  if (attacker) tamper_update(c.attack, c.attack_scale, update, rng);
  return {static_cast<double>(client), static_cast<double>(sim.partition.size(client)),
          client_seconds(sim, client, static_cast<double>(r.samples_seen)), r.loss, attacker ? 1.0 : 0.0};
}

double client_seconds(const Simulation& sim, std::size_t client, double samples) {
  const ClientProfile p = client_profile(sim.profiles, static_cast<std::uint64_t>(sim.cfg.seed), client);
  return round_seconds(p, samples, sim.model_bytes());
}

void train_clients(Simulation& sim, std::span<const std::size_t> clients, std::int64_t round,
                   std::span<ClientRecord> records, std::span<float> updates, TrainScratch& scratch) {
  const std::size_t np = sim.global.size();
  for (std::size_t i = 0; i < clients.size(); ++i)
    records[i] = train_client(sim, clients[i], sim.global, static_cast<std::uint64_t>(round),
                              updates.subspan(i * np, np), scratch);
}

RoundOutcome summarize(std::span<const ClientRecord> records) {
  RoundOutcome out;
  out.participants = records.size();
  double loss = 0, samples = 0;
  for (const ClientRecord& r : records) {
    out.seconds = std::max(out.seconds, r.seconds);
    loss += r.loss * r.samples;
    samples += r.samples;
    if (r.byzantine != 0) ++out.byzantine_participants;
  }
  out.train_loss = samples > 0 ? loss / samples : 0;
  return out;
}

std::vector<double> mean_weights(const Simulation& sim, std::span<const std::size_t> sample) {
  double total = 0;
  for (std::size_t k : sample) total += static_cast<double>(sim.partition.size(k));
  std::vector<double> w;
  w.reserve(sample.size());
  for (std::size_t k : sample) w.push_back(static_cast<double>(sim.partition.size(k)) / total);
  return w;
}

RoundOutcome server_step(Simulation& sim, std::span<const ClientRecord> records, std::span<float> updates) {
  const Config& c = sim.cfg;
  const std::size_t np = sim.global.size(), n = records.size();
  if (n == 0) return {};   // every participant crashed: the model stays
  RoundOutcome out = summarize(records);
  std::vector<double> weights(n);
  std::vector<std::size_t> attackers;
  for (std::size_t i = 0; i < n; ++i) {
    weights[i] = records[i].samples;
    if (records[i].byzantine != 0) attackers.push_back(i);
  }

  // ALIE: the attackers pool their honest updates where they meet, here.
  if (c.attack == AttackKind::alie && !attackers.empty())
    alie_collude(updates, np, attackers, alie_z(n, attackers.size()));

  AggregatorConfig ac;
  ac.kind = c.aggregator;
  ac.trim_fraction = c.trim_fraction;
  ac.byzantine = c.byzantine_per_round();
  ac.krum_select = static_cast<std::size_t>(c.krum_select);
  ac.flag_dims = static_cast<std::size_t>(c.flag_dims);
  const Aggregate agg = aggregate(ac, UpdateView{updates, np}, weights);
  for (std::size_t i = 0; i < np; ++i) sim.global[i] += agg.update[i];

  if (c.aggregator == AggregatorKind::mean) {
    out.byzantine_accepted = static_cast<std::int64_t>(attackers.size());
  } else if (c.aggregator == AggregatorKind::krum) {
    out.byzantine_accepted = static_cast<std::int64_t>(
        std::count_if(agg.selected.begin(), agg.selected.end(), [&](std::size_t i) { return records[i].byzantine != 0; }));
  }
  return out;
}

}  // namespace orrery::fed
