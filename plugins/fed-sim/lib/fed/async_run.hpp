// Asynchronous and semi-asynchronous federated learning in virtual time:
// FedAsync (Xie et al., 2019), FedBuff (Nguyen et al., 2022) and FedCompass
// (Li et al., ICLR 2024; its scheduler is compass_scheduler.hpp).
//
// Clients are dispatched with the model version current at their start and
// arrive after their virtual duration (fetch, train, send); events are handled
// in virtual-time order. The update of a client that started from version b and
// arrives when the server is at version v has staleness v - b and is weighted
// by s = (1 + staleness)^-a:
//   fedasync   : `concurrency` clients in flight; every arrival makes a version:
//                w += async_alpha * s * update (the delta form of FedAsync's mixing
//                w = (1 - alpha_s) w + alpha_s w_client); then an idle client,
//                drawn by the seed, is dispatched.
//   fedbuff    : the same dispatching; arrivals fill a buffer of buffer_size, a
//                full buffer makes a version: w += server_lr * mean(s * update).
//   fedcompass : every client is in flight, with a number of local steps the
//                scheduler chose so that clients arrive in groups; a group's
//                arrivals make one version: w += async_alpha * sum (n_i / mean n) s_i update_i
//                (each member weighted as a FedAsync arrival of its size);
//                a member arriving after its group's deadline waits in the general
//                buffer and joins the next group's aggregation; a first flight (no
//                group yet) is folded in alone like FedAsync. The group's clients
//                are then re-dispatched.
//
// Crashes (crash_prob): each dispatch crashes with that probability at a uniformly drawn
// moment of its flight; the server notices then (the connection drops), gets no update, and
// FedAsync/FedBuff dispatch an idle client in its place; FedCompass's group goes on without
// it. The client is down for crash_rounds times its flight's duration, then rejoins: idle
// again (FedAsync, FedBuff) or reassigned to a group (FedCompass).
//
// Which client starts when, from which version, with how many steps, and when
// it arrives depend on the seed and the clients' virtual durations only, never
// on model values. So the schedule is the same on every rank, and training is
// done in waves: whenever the next arrival has not been trained yet, every
// dispatched but untrained flight is trained at once (on whichever ranks host
// the clients; the wave callback does that), then the events are replayed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <span>
#include <vector>

#include "fed/compass_scheduler.hpp"
#include "fed/simulation.hpp"

namespace orrery::fed {

// How a flight ends: its update arrives, or the client crashes on the way (the server
// notices when the connection drops) and comes back later.
enum class FlightEnd : std::uint8_t { arrival, crash, rejoin };

// One dispatch of a client.
struct Flight {
  std::uint64_t seq = 0;     // dispatch number: orders ties, seeds the client's batches
  std::size_t client = 0;
  std::int64_t base = 0;     // the model version it trains from
  std::int64_t steps = 0;    // local steps (fedcompass); 0: cfg.local_epochs epochs
  double start = 0, finish = 0;   // finish: the arrival, the crash or the rejoin
  FlightEnd end = FlightEnd::arrival;
  double planned = 0;              // the flight's virtual duration had it not crashed
};

// What the server did when a version was made (for metrics).
struct VersionMade {
  std::int64_t version = 0;
  double time = 0;               // virtual time of the event that completed it
  std::uint64_t last_seq = 0;    // the flight whose arrival completed it (none for a deadline)
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
  // How many of each client's updates arrived (index = client).
  const std::vector<std::uint32_t>& participation() const { return participation_; }
  std::uint64_t waves() const { return waves_; }
  // Flights lost to client crashes so far.
  std::uint64_t crashes() const { return crashes_; }

 private:
  struct Arrived {
    std::vector<float> update;
    double weight = 0;      // staleness weight s
    double samples = 0;
    double loss = 0;
    bool byzantine = false;
    double staleness = 0;
  };

  void dispatch(std::size_t client, double now, std::int64_t steps);
  void dispatch_idle(double now);
  void train_pending(const WaveFn& wave);
  // Applies w += sum(coefficient_i * weight_i * update_i) and reports the version.
  void make_version(const std::vector<Arrived>& folded, const std::vector<double>& coefficients, double time,
                    std::uint64_t last_seq, const VersionFn& on_version);
  void close_group(std::int64_t g, double now, const VersionFn& on_version);
  // A crash or a rejoin event (crash_prob): no update; the server re-dispatches.
  void handle_outage(const Flight& f, const VersionFn& on_version);
  // FedCompass's weight of an update, before its staleness weight.
  double compass_coefficient(const Arrived& a) const;

  struct Later {
    bool operator()(const Flight& a, const Flight& b) const {
      return a.finish != b.finish ? a.finish > b.finish : a.seq > b.seq;
    }
  };
  using Deadline = std::pair<double, std::int64_t>;   // (time, group)

  Simulation& sim_;
  std::int64_t version_ = 0;
  std::uint64_t next_seq_ = 0;
  std::vector<std::size_t> idle_;                                   // fedasync/fedbuff: clients not in flight
  std::priority_queue<Flight, std::vector<Flight>, Later> queue_;   // in flight, by arrival
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;   // fedcompass groups
  std::vector<Flight> pending_;                                     // dispatched, not trained yet
  std::map<std::int64_t, std::vector<float>> versions_;             // models pending flights start from
  std::map<std::uint64_t, Arrived> trained_;                        // by seq, until arrival
  std::vector<Arrived> buffer_;                                     // fedbuff
  std::map<std::int64_t, std::vector<Arrived>> group_updates_;      // fedcompass, by group
  std::vector<Arrived> late_;                                       // fedcompass's general buffer
  std::optional<CompassScheduler> compass_;
  std::vector<std::uint64_t> staleness_counts_;
  std::vector<std::uint32_t> participation_;
  std::uint64_t waves_ = 0;
  std::uint64_t crashes_ = 0;
  std::size_t in_flight_ = 0;   // dispatched flights that have neither arrived nor crashed
};

}  // namespace orrery::fed
