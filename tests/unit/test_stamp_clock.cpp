// Cycle-counter stamps and their conversion to wall time (core/runtime/stamp_clock.hpp):
// the metric hot path stamps with read_stamp() and the sender converts; a converted
// stamp must land where the wall clock was when the stamp was read.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "stamp_clock.hpp"

namespace {

using namespace std::chrono_literals;
using orrery::runtime::read_stamp;
using orrery::runtime::sample_pair;
using orrery::runtime::StampCalibration;
using orrery::runtime::wall_seconds;

// A stamp read between two wall clock reads: its true wall time lies in [before, after].
struct Bracketed {
  double before;
  std::uint64_t stamp;
  double after;
};

Bracketed bracketed_stamp() {
  Bracketed b{};
  b.before = wall_seconds();
  b.stamp = read_stamp();
  b.after = wall_seconds();
  return b;
}

// Stamps taken over `span` while a calibration is advanced every `every`, as the sender
// does at each buffer swap; each batch is converted right after its advance().
std::vector<std::pair<Bracketed, double>> stamp_and_convert(std::chrono::milliseconds span, std::chrono::milliseconds every) {
  StampCalibration calibration;
  std::vector<std::pair<Bracketed, double>> out;
  std::vector<Bracketed> batch;
  const auto end = std::chrono::steady_clock::now() + span;
  auto next_swap = std::chrono::steady_clock::now() + every;
  while (std::chrono::steady_clock::now() < end) {
    batch.push_back(bracketed_stamp());
    std::this_thread::sleep_for(50us);
    if (std::chrono::steady_clock::now() >= next_swap) {
      calibration.advance();
      for (const auto& b : batch) out.emplace_back(b, calibration.to_wall(b.stamp));
      batch.clear();
      next_swap += every;
    }
  }
  calibration.advance();
  for (const auto& b : batch) out.emplace_back(b, calibration.to_wall(b.stamp));
  return out;
}

TEST(StampClock, StampsAdvance) {
  const auto a = read_stamp();
  std::this_thread::sleep_for(1ms);
  const auto b = read_stamp();
  EXPECT_GT(b, a);
}

TEST(StampClock, PairIsNearTheWallClock) {
  const double before = wall_seconds();
  const auto pair = sample_pair();
  const double after = wall_seconds();
  EXPECT_GE(pair.wall, before);
  EXPECT_LE(pair.wall, after);
  EXPECT_GT(pair.stamp, 0u);
}

TEST(StampClock, ConvertedStampsLandWhereTheWallClockWas) {
  const auto converted = stamp_and_convert(300ms, 20ms);
  ASSERT_GT(converted.size(), 100u);
  // The documented bound is microseconds; 100 µs leaves room for a loaded machine, and a
  // wrong mapping (raw ticks, a wrong rate or offset) misses by seconds or more.
  constexpr double kSlack = 100e-6;
  int outside = 0;
  double worst = 0;
  for (const auto& [b, wall] : converted) {
    const double miss = wall < b.before ? b.before - wall : (wall > b.after ? wall - b.after : 0.0);
    worst = std::max(worst, miss);
    if (miss > kSlack) ++outside;
  }
  EXPECT_EQ(outside, 0) << "worst miss " << worst * 1e6 << " us over " << converted.size() << " stamps";
}

TEST(StampClock, StampsOlderThanThePreviousPairAreExtrapolated) {
  // A thread preempted between its stamp and its append puts an old stamp in a later batch.
  StampCalibration calibration;
  const Bracketed old = bracketed_stamp();
  std::this_thread::sleep_for(5ms);
  calibration.advance();
  std::this_thread::sleep_for(5ms);
  calibration.advance();   // `old` now lies before the previous pair
  const double wall = calibration.to_wall(old.stamp);
  EXPECT_GE(wall, old.before - 100e-6);
  EXPECT_LE(wall, old.after + 100e-6);
}

TEST(StampClock, RateIsPlausible) {
  StampCalibration calibration;
  std::this_thread::sleep_for(10ms);
  calibration.advance();
  // A TSC ticks at 0.5-10 GHz; the steady_clock fallback at 1 GHz (nanoseconds).
  EXPECT_GT(calibration.seconds_per_tick(), 1e-10);
  EXPECT_LT(calibration.seconds_per_tick(), 2e-9);
}

}  // namespace
