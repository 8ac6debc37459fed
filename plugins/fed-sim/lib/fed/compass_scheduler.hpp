// FedCompass's computing-power-aware scheduler (Li et al., ICLR 2024), in virtual time.
//
// The server estimates each client's time per local step from its arrivals and
// gives it a number of local steps Q in [Q_min, Q_max] so that clients arrive
// in groups: a client joins the existing group it can reach with the most steps
// (Q_min <= floor((T_group - now) / step_time) <= Q_max), or founds a new
// group. A group is aggregated when its last member arrives, or at its latest
// arrival time T_group x lambda with whoever has arrived; a member arriving after
// that is late: its update waits in the server's general buffer for the next
// group's aggregation (as in the paper's reference scheduler). After a group's
// aggregation its clients are reassigned, fastest first.
//
// This class is the bookkeeping only (groups, step-time estimates, assignment);
// AsyncRun moves the flights and the model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace orrery::fed {

struct CompassParams {
  std::int64_t q_max = 20;        // steps of a new group's founder
  double q_min_ratio = 0.2;       // Q_min = max(1, floor(ratio * Q_max))
  double latest_factor = 1.5;     // lambda: a group waits until its expected time x lambda
  double momentum = 0.9;          // weight of the newest step-time measurement
};

class CompassScheduler {
 public:
  CompassScheduler(const CompassParams& p, std::size_t clients);

  std::int64_t q_max() const { return q_max_; }
  std::int64_t q_min() const { return q_min_; }

  // What an arrival's update is for.
  static constexpr std::int64_t kUngrouped = -1;   // a first flight, in no group: folded in alone
  static constexpr std::int64_t kLate = -2;        // its group's latest time passed: general buffer
  // A client arrives at `now` from a flight of `steps` steps started at `start`:
  // updates its step time and returns its group, kUngrouped or kLate.
  std::int64_t arrive(std::size_t client, double start, double now, std::int64_t steps);
  // A client crashed in flight: it leaves its group (which may now be complete).
  // Returns the group, or -1 when it had none (or the group is already closed).
  std::int64_t drop(std::size_t client);
  // Whether every member of group g has arrived.
  bool complete(std::int64_t g) const;
  // Ends group g (at its last arrival or its deadline): returns the members that
  // arrived, fastest first; late members are still expected and will arrive alone.
  std::vector<std::size_t> close(std::int64_t g);
  // Places `client` in a group at `now` and returns its local steps (Q_max and no
  // group for a client whose speed is not measured yet).
  std::int64_t assign(std::size_t client, double now);
  // Deadlines (latest arrival time, group) of groups founded since the last call.
  std::vector<std::pair<double, std::int64_t>> take_new_deadlines();
  bool open(std::int64_t g) const;
  double step_time(std::size_t client) const { return step_time_[client]; }

 private:
  struct Group {
    std::set<std::size_t> waiting;
    std::vector<std::size_t> arrived;
    double expected = 0, latest = 0;
    bool open = true;
  };
  std::int64_t found(std::size_t client, double now, std::int64_t steps);

  std::int64_t q_max_, q_min_;
  double latest_factor_, momentum_;
  std::vector<double> step_time_;        // virtual seconds per local step (0: not measured yet)
  std::vector<std::int64_t> group_of_;   // -1: none
  std::map<std::int64_t, Group> groups_;
  std::int64_t next_group_ = 0;
  std::vector<std::pair<double, std::int64_t>> new_deadlines_;
};

}  // namespace orrery::fed
