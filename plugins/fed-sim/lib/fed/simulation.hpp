// A synchronous federated round, split into the part each rank does for the
// clients it hosts (train_clients) and the part the aggregating rank does
// (server_step). Neither knows MPI: the worker moves the records and updates
// between them (plugins/fed-sim/worker), and the unit tests call both in one
// process. Which rank runs a client changes nothing in what the client
// computes, so a run's results do not depend on the rank count.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "fed/config.hpp"
#include "fed/dataset.hpp"
#include "fed/local_training.hpp"
#include "fed/model.hpp"
#include "fed/partition.hpp"

namespace orrery::fed {

// Everything a run is set up from: the same on every rank.
struct Simulation {
  Config cfg;
  TrainTest data;
  Partition partition;
  std::vector<bool> byzantine;   // per client
  std::unique_ptr<Model> model;
  std::vector<float> global;     // the global model's parameters
  Topology topology;             // dpsgd only
  Trace trace;                   // rows only when a distribution is a trace
  ProfileConfig profiles;        // points into trace

  std::size_t clients() const { return partition.clients(); }
  double model_bytes() const { return 4.0 * static_cast<double>(global.size()); }
};

// Validates cfg, loads the data set, partitions it, picks the Byzantine
// clients, initialises the model. Throws std::invalid_argument or
// std::runtime_error with a message for the user.
// (Returned by pointer: profiles points into the object's own trace.)
std::unique_ptr<Simulation> prepare(const Config& cfg);
// The same from a data set already in memory (tests).
std::unique_ptr<Simulation> prepare(const Config& cfg, const Dataset& all);

// What a client sends with its update. Plain doubles, so a rank can ship a
// block of them as one MPI_DOUBLE array.
struct ClientRecord {
  double client = 0;
  double samples = 0;     // its partition size (the mean's weight)
  double seconds = 0;     // its virtual time this round (download, train, upload)
  double loss = 0;        // its mean training loss in its last local epoch
  double byzantine = 0;   // 1 when it attacks
};
static_assert(sizeof(ClientRecord) == 5 * sizeof(double));

// Trains client `client` from the model `base` and writes its update (local -
// base, after its attack if it is Byzantine). `stream` tells its trainings apart
// (the round, or an asynchronous dispatch's number): the batches depend on
// (seed, client, stream) only.
// steps > 0: that many minibatch steps instead of cfg.local_epochs epochs.
ClientRecord train_client(Simulation& sim, std::size_t client, std::span<const float> base, std::uint64_t stream,
                          std::span<float> update, TrainScratch& scratch, std::int64_t steps = 0);

// Virtual seconds client `client` needs to fetch the model, train `samples` samples and send its update.
double client_seconds(const Simulation& sim, std::size_t client, double samples);

// Trains `clients` (ascending ids) from the current global model for round
// `round`, writing one record and one update row (params floats) per client.
void train_clients(Simulation& sim, std::span<const std::size_t> clients, std::int64_t round,
                   std::span<ClientRecord> records, std::span<float> updates, TrainScratch& scratch);

struct RoundOutcome {
  double seconds = 0;                 // virtual duration: the slowest participant
  double train_loss = 0;              // participants' losses weighted by samples
  std::size_t participants = 0;
  std::size_t byzantine_participants = 0;
  std::int64_t byzantine_accepted = -1;   // updates from attackers the rule let in (mean, krum); -1: not defined
};

// Aggregates one round's records and updates (all participants, client order)
// into the global model. updates may be rewritten (ALIE's collusion).
RoundOutcome server_step(Simulation& sim, std::span<const ClientRecord> records, std::span<float> updates);

// The round's figures from its records alone (time, loss, attackers); byzantine_accepted
// is left for the aggregation to fill in.
RoundOutcome summarize(std::span<const ClientRecord> records);

// The mean's weight of each sampled client: its samples over the round's samples. Every
// rank computes the same weights from the partition, without a message.
std::vector<double> mean_weights(const Simulation& sim, std::span<const std::size_t> sample);

}  // namespace orrery::fed
