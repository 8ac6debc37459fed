// The telemetry wire format (core/telemetry/wire.hpp): encode/decode round trip and
// the forms a decoder accepts (binary or array columns, integers for doubles, unknown keys).
// Hostile frames: test_wire_hostile_frames.cpp and test_wire_fuzz.cpp.

#include "test_support.hpp"
#include "wire_test_support.hpp"
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace orrery::wire_test;

// ---------------------------------------------------------------------------
// Round trip

TEST(WireRoundTrip, EveryFieldSurvives) {
  const Batch in = full_batch();
  const std::string frame = encode(in);
  std::string why;
  auto out = decode_str(frame, &why);
  ASSERT_TRUE(out) << why;
  expect_equal(in, *out);
  EXPECT_EQ(out->record_count(), in.record_count());
  EXPECT_EQ(in.record_count(), 4u + 2u + 1u + 0u + 2u + 2u + 3u);
}

TEST(WireRoundTrip, MinimalBatchHasNoOptionalFields) {
  Batch in;
  in.rank = 0;
  in.source = "worker";
  auto out = decode_str(encode(in));
  ASSERT_TRUE(out);
  expect_equal(in, *out);
  EXPECT_FALSE(out->hello);
  EXPECT_FALSE(out->progress);
  EXPECT_FALSE(out->exit);
  EXPECT_EQ(out->record_count(), 0u);
}

TEST(WireRoundTrip, SignalExitAndLargeBatch) {
  Batch in;
  in.rank = 2'000'000'000;
  in.exit = ExitReport{1, 0, 9, false, 1.0};
  MetricSeries m{"x", {}, {}, {}};
  for (int i = 0; i < 100'000; ++i) {
    m.steps.push_back(i);
    m.times.push_back(i * 0.5);
    m.values.push_back(i * 0.25);
  }
  in.metrics.push_back(m);
  auto out = decode_str(encode(in));
  ASSERT_TRUE(out);
  expect_equal(in, *out);
}

TEST(WireRoundTrip, StringAtTheLimitIsAccepted) {
  Batch in;
  in.rank = 1;
  in.logs.push_back({1.0, 2, std::string(kMaxStringBytes, 'x')});
  std::string why;
  auto out = decode_str(encode(in), &why);
  ASSERT_TRUE(out) << why;
  EXPECT_EQ(out->logs.at(0).text.size(), kMaxStringBytes);
}

TEST(WireRoundTrip, UnknownKeysAreSkipped) {
  auto frame = frame_of({version(), rank(4), raw("future", [](Packer& p) {
                           p.pack_array(2);
                           p.pack(1);
                           pack_str(p, "x");
                         })});
  std::string why;
  auto out = decode_str(frame, &why);
  ASSERT_TRUE(out) << why;
  EXPECT_EQ(out->rank, 4);
}

TEST(WireRoundTrip, IntegersAreAcceptedWhereDoublesAreExpected) {
  auto frame = frame_of({version(), rank(), metric_field(str("loss"), ints({1, 2}), ints({100, -5}), ints({3, 4}))});
  std::string why;
  auto out = decode_str(frame, &why);
  ASSERT_TRUE(out) << why;
  ASSERT_EQ(out->metrics.size(), 1u);
  EXPECT_EQ(out->metrics[0].times, (std::vector<double>{100.0, -5.0}));
  EXPECT_EQ(out->metrics[0].values, (std::vector<double>{3.0, 4.0}));
}

TEST(WireRoundTrip, ColumnsAsBinOrArrayAreBothRead) {
  // encode() writes binary columns; arrays of numbers (the first form) stay readable, and
  // one series may mix them. A binary column is little-endian whatever the host.
  auto frame = frame_of({version(), rank(), metric_field(str("loss"), bin_column<std::int64_t>({7, -2, 1LL << 40}),
                                                         doubles({1.5, 2.5, 3.5}), bin_column<double>({0.25, -1e300, 4.0}))});
  std::string why;
  auto out = decode_str(frame, &why);
  ASSERT_TRUE(out) << why;
  ASSERT_EQ(out->metrics.size(), 1u);
  EXPECT_EQ(out->metrics[0].steps, (std::vector<std::int64_t>{7, -2, 1LL << 40}));
  EXPECT_EQ(out->metrics[0].times, (std::vector<double>{1.5, 2.5, 3.5}));
  EXPECT_EQ(out->metrics[0].values, (std::vector<double>{0.25, -1e300, 4.0}));
  // And encode() itself produces the binary form: 3 points take 3 bins of 24 bytes.
  Batch in;
  in.rank = 0;
  in.metrics.push_back({"x", {1, 2, 3}, {1, 2, 3}, {1, 2, 3}});
  const std::string encoded = encode(in);
  EXPECT_NE(encoded.find(std::string("\xc4\x18", 2)), std::string::npos) << "bin8 of 24 bytes";
}

}  // namespace
