// The states of the jobs that several followers keep on one Slurm (the launch form keeps each run
// of a sweep with its own keeper, each asking every second): one squeue call
// (SlurmCommands::query_all) per round for all the jobs followed, however many followers ask.
// A follower asking within `fresh_for` of the last round's start gets that round's answer for its
// job; the first to ask after that (or about a job the round did not ask) starts the next round,
// for every job followed then. Blocking (Slurm's tools, ssh): for pool threads. Safe from several
// threads at once: an asker arriving while a round is being asked waits for it and shares it.
// Qt-free.
#pragma once

#include "remote/slurm_commands.hpp"
#include "remote/ssh_connection.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace orrery::remote {

class SlurmRound {
 public:
  // via: the connection to the login node (kept open while the round lives), null for this machine.
  SlurmRound(std::shared_ptr<SshConnection> via, std::chrono::milliseconds fresh_for);
  SlurmRound(const SlurmRound&) = delete;
  SlurmRound& operator=(const SlurmRound&) = delete;

  void follow(const std::string& job);     // asked in each round from now on (a valid_job_id)
  void unfollow(const std::string& job);   // no longer asked (its keeper is done); never blocks on a round

  // The job's state as the current round answered it (nullopt: Slurm knows it nowhere). Throws
  // SlurmError with the round's failure (the controller or login node could not be asked): every
  // asker of that round gets the same error, and Slurm is not asked again within the round.
  std::optional<SlurmJobState> state_of(const std::string& job);
  std::size_t rounds() const;   // how many times Slurm was asked so far

  // The commands the round asks through (also for a follower's own look at the job's history).
  const SlurmCommands& commands() const { return commands_; }
  const std::shared_ptr<SshConnection>& via() const { return via_; }

 private:
  const std::shared_ptr<SshConnection> via_;
  const SlurmCommands commands_;
  const std::chrono::milliseconds fresh_for_;

  mutable std::mutex followed_mutex_;   // held briefly: unfollow() from the UI thread never waits for Slurm
  std::set<std::string> followed_;

  mutable std::mutex round_mutex_;   // held while a round is asked
  std::chrono::steady_clock::time_point asked_at_{};
  std::set<std::string> asked_;
  std::map<std::string, std::optional<SlurmJobState>> answer_;
  std::string error_;   // the round's failure; empty: answer_ holds every job asked
  std::size_t rounds_ = 0;
};

}  // namespace orrery::remote
