#include "remote/slurm_round.hpp"

#include <vector>

namespace orrery::remote {

SlurmRound::SlurmRound(std::shared_ptr<SshConnection> via, std::chrono::milliseconds fresh_for)
    : via_(std::move(via)), commands_(via_.get()), fresh_for_(fresh_for) {}

void SlurmRound::follow(const std::string& job) {
  if (!valid_job_id(job)) throw SlurmError("not a Slurm job id: \"" + job + "\"");
  std::lock_guard lock(followed_mutex_);
  followed_.insert(job);
}

void SlurmRound::unfollow(const std::string& job) {
  std::lock_guard lock(followed_mutex_);
  followed_.erase(job);
}

std::size_t SlurmRound::rounds() const {
  std::lock_guard lock(round_mutex_);
  return rounds_;
}

std::optional<SlurmJobState> SlurmRound::state_of(const std::string& job) {
  std::lock_guard round(round_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (rounds_ == 0 || now - asked_at_ >= fresh_for_ || asked_.count(job) == 0) {
    std::set<std::string> jobs;
    {
      std::lock_guard lock(followed_mutex_);
      jobs = followed_;
    }
    jobs.insert(job);
    asked_at_ = now;
    asked_ = jobs;
    ++rounds_;
    try {
      answer_ = commands_.query_all(std::vector<std::string>(jobs.begin(), jobs.end()));
      error_.clear();
    } catch (const std::exception& e) {
      answer_.clear();
      error_ = e.what();
    }
  }
  if (!error_.empty()) throw SlurmError(error_);
  return answer_.at(job);
}

}  // namespace orrery::remote
