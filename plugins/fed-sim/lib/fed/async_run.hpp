// Asynchronous federated learning in virtual time: FedAsync (Xie et al., 2019)
// and FedBuff (Nguyen et al., 2022).
//
// `concurrency` clients train at once. Each is dispatched with the model version
// current at its start and arrives after its virtual duration (fetch, train,
// send); arrivals are handled in virtual-time order. The update of a client that
// started from version b and arrives when the server is at version v has
// staleness v - b, and is weighted by s = (1 + staleness)^-a:
//   fedasync : every arrival makes a version: w += async_alpha * s * update
//              (the delta form of FedAsync's mixing w = (1 - alpha_s) w + alpha_s w_client).
//   fedbuff  : arrivals fill a buffer of buffer_size; a full buffer makes a
//              version: w += server_lr * mean(s * update).
// After each arrival a client is drawn uniformly among the idle ones and
// dispatched with the current version.
//
// Which client starts when, from which version, and when it arrives depend on
// the seed and the clients' virtual durations only, never on model values. So
// the schedule is the same on every rank, and the training can be done in
// waves: whenever the next arrival has not been trained yet, every dispatched
// but untrained flight is trained at once (on whichever ranks host the clients;
// the wave callback does that), then the arrivals are replayed in order.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <span>
#include <vector>

#include "fed/simulation.hpp"

namespace orrery::fed {

// One dispatch of a client.
struct Flight {
  std::uint64_t seq = 0;     // dispatch number: orders ties, seeds the client's batches
  std::size_t client = 0;
  std::int64_t base = 0;     // the model version it trains from
  double start = 0, finish = 0;
};

// What the server did when a version was made (for metrics).
struct VersionMade {
  std::int64_t version = 0;
  double time = 0;               // virtual time of the arrival that completed it
  std::uint64_t last_seq = 0;    // the flight whose arrival completed it
  std::size_t updates = 0;       // updates folded in
  double mean_staleness = 0;
  double train_loss = 0;         // mean of the updates' clients' last-epoch losses
  std::size_t byzantine = 0;     // updates from attackers folded in
};

class AsyncRun {
 public:
  // Trains each flight from model(flight.base) and writes, in the flights' order,
  // its record and its update (params floats each).
  using WaveFn = std::function<void(std::span<const Flight>, std::span<ClientRecord>, std::span<float>)>;
  using VersionFn = std::function<void(const VersionMade&)>;

  explicit AsyncRun(Simulation& sim);

  // Runs until sim.cfg.rounds versions are made; sim.global is the latest model.
  void run(const WaveFn& wave, const VersionFn& on_version);

  // The model of a version some dispatched, untrained flight starts from.
  std::span<const float> model(std::int64_t version) const { return versions_.at(version); }
  // How many updates arrived with each staleness (index = staleness).
  const std::vector<std::uint64_t>& staleness_counts() const { return staleness_counts_; }
  std::uint64_t waves() const { return waves_; }

 private:
  void dispatch(double now);
  void train_pending(const WaveFn& wave);

  struct Later {
    bool operator()(const Flight& a, const Flight& b) const {
      return a.finish != b.finish ? a.finish > b.finish : a.seq > b.seq;
    }
  };

  Simulation& sim_;
  std::int64_t version_ = 0;
  std::uint64_t next_seq_ = 0;
  std::vector<std::size_t> idle_;                               // clients not in flight
  std::priority_queue<Flight, std::vector<Flight>, Later> queue_;   // in flight, by arrival
  std::vector<Flight> pending_;                                 // dispatched, not trained yet
  std::map<std::int64_t, std::vector<float>> versions_;         // models pending flights start from
  struct Trained {
    ClientRecord record;
    std::vector<float> update;
  };
  std::map<std::uint64_t, Trained> trained_;                    // by seq, until arrival
  std::vector<std::uint64_t> staleness_counts_;
  std::uint64_t waves_ = 0;
};

}  // namespace orrery::fed
