// KV transfers that share the instances' links: each instance has one link of the cost
// model's bandwidth, used by the transfers leaving it (a prefill instance) and arriving at it
// (a decode instance). Model, stated: an instance's link is divided equally among the
// transfers on it, and a transfer moves at the smaller of its two ends' shares; the shares are
// recomputed when a transfer starts or ends (between those events every rate is constant).
// A link's transfers never exceed its bandwidth together; a share one transfer cannot use
// (its other end is slower) is not handed to the others (equal split, not max-min fairness).
#pragma once

#include <cstddef>
#include <vector>

namespace orrery::sim {

class SharedLinks {
 public:
  SharedLinks(int instances, double bytes_per_s);

  // A transfer of `bytes` from instance `from` to `to` starting at `now` (not before the last
  // call's time); `id` names it to finish_due.
  void start(double now, int id, int from, int to, double bytes);
  // When the earliest active transfer ends at the present rates; +infinity when none is active.
  double next_finish() const;
  // Moves every active transfer on to `now` and removes those done, returning their ids in
  // the order they started.
  std::vector<int> finish_due(double now);
  std::size_t active() const { return active_.size(); }
  double bytes_started() const { return bytes_started_; }
  double bytes_delivered() const { return bytes_delivered_; }

 private:
  struct Transfer {
    int id = 0, from = 0, to = 0;
    double bytes = 0, remaining = 0, rate = 0;
  };
  void advance(double now);
  void share();

  double bandwidth_;
  double clock_ = 0;
  std::vector<int> leaving_, arriving_;  // by instance: active transfers on its link
  std::vector<Transfer> active_;         // in the order they started
  double bytes_started_ = 0, bytes_delivered_ = 0;
};

}  // namespace orrery::sim
