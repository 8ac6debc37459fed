// slurm.json changed by two hands at once: the runs browser's refresh (settle_slurm_run on a pool
// thread) and a cancel (record_cancel_requested, as cancel_slurm_job does after scancel). Each
// reads, changes and writes the whole record; without the run folder's lock a refresh that read
// the record before the cancel wrote it puts cancel_requested back to false, and a task cancelled
// while pending (which Slurm then forgets) would be failed as "no longer known" instead of cancelled.
#include "remote/slurm_commands.hpp"
#include "remote/slurm_launcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace orrery::remote;

namespace {

SlurmJobState running_state() {
  SlurmJobState s;
  s.job_id = "41_2";
  s.state = "RUNNING";
  s.reason = "None";
  s.nodes = "node1";
  s.exit_code = "0:0";
  return s;
}

}  // namespace

TEST(SlurmRecordUpdate, CancelRequestedSurvivesConcurrentRefreshes) {
  const orrery::test_support::TempDir tmp("orrery-slurm-record");
  const fs::path& dir = tmp.path();
  const SlurmCommands slurm;   // never asked: the state is given and the job has not ended
  const auto state = running_state();
  constexpr int kRounds = 60;
  int lost = 0;
  std::atomic<int> failed_writes{0};   // two unlocked writers in one process also share the temporary file
  for (int round = 0; round < kRounds; ++round) {
    write_slurm_record(dir, {"local", "41_2", "", {}, 1.0});
    std::atomic<bool> cancelled{false};
    std::atomic<int> refreshes{0};
    std::thread refresher([&] {
      // Keeps refreshing until a few refreshes ran after the cancel: any of them could drop it.
      int after = 0;
      while (after < 3) {
        try {
          (void)settle_slurm_run(dir, slurm, state);
        } catch (const std::exception&) {
          ++failed_writes;
        }
        ++refreshes;
        if (cancelled) ++after;
      }
    });
    while (refreshes < 1 + round % 3) std::this_thread::yield();
    try {
      record_cancel_requested(dir);
    } catch (const std::exception&) {
      ++failed_writes;
    }
    cancelled = true;
    refresher.join();
    const auto record = read_slurm_record(dir);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->last.state, "RUNNING");
    if (!record->cancel_requested) ++lost;
  }
  EXPECT_EQ(failed_writes, 0);
  EXPECT_EQ(lost, 0) << "cancel_requested lost in " << lost << " of " << kRounds << " rounds";
}

TEST(SlurmRecordUpdate, NothingWrittenWithoutSlurmJson) {
  const orrery::test_support::TempDir tmp("orrery-slurm-record");
  const fs::path& dir = tmp.path();
  EXPECT_FALSE(update_slurm_record(dir, [](SlurmJobRecord& r) { r.cancel_requested = true; }));
  EXPECT_FALSE(fs::exists(dir / "slurm.json"));
  EXPECT_THROW(record_cancel_requested(dir), SlurmError);
  EXPECT_THROW(record_cancel_requested(dir / "missing"), SlurmError);
}
