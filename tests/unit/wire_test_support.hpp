// Helpers shared by the telemetry wire tests (test_wire_*.cpp): a batch with every
// field, comparison, a never-throwing decode, and builders of hand-made frames.
#pragma once

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "telemetry/wire.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define ORRERY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ORRERY_TEST_ASAN 1
#endif
#endif

namespace orrery::wire_test {

using namespace orrery::telemetry;
using Packer = msgpack::packer<msgpack::sbuffer>;

inline Batch full_batch() {
  Batch b;
  b.rank = 7;
  b.source = "supervisor";
  b.seq = 0x1'0000'0001ull;  // above 32 bits
  b.dropped_total = 12345;
  b.hello = Hello{4242, "node-17.cluster", 16};
  b.metrics.push_back({"loss", {0, 1, 2, 3}, {1.7e9, 1.7e9 + 0.5, 1.7e9 + 1.0, 1.7e9 + 1.5}, {2.5, 2.25, -1e-320, 1e-300}});
  b.metrics.push_back({"lr", {-1, std::numeric_limits<std::int64_t>::max()}, {0.0, -1.0},
                       {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}});
  b.metrics.push_back({"grad_norm", {10}, {3.0}, {std::nan("")}});
  b.metrics.push_back({"empty", {}, {}, {}});
  b.spans.push_back({"compute", "forward", 3, 10.0, 10.25});
  b.spans.push_back({"comm", "allreduce \xce\xbb", -1, 11.0, 11.5});
  b.events.push_back({12.0, "checkpoint", "saved step-0000003.h5", 3});
  b.events.push_back({13.0, "note", "", -1});
  b.logs.push_back({14.0, 1, "hello stdout"});
  b.logs.push_back({15.0, 2, std::string("with\0nul", 8)});
  b.logs.push_back({16.0, 0, "runtime"});
  b.progress = Progress{30, 100};
  b.exit = ExitReport{999, 3, 0, true, 17.5};
  return b;
}

// Bit-exact, except that msgpack-c packs integral doubles as integers, so -0.0
// arrives as 0.0 (not used in the round trips).
inline void expect_same_double(double a, double b) {
  if (std::isnan(a)) {
    EXPECT_TRUE(std::isnan(b));
  } else {
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << a << " vs " << b;
  }
}

inline void expect_equal(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.rank, b.rank);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.dropped_total, b.dropped_total);
  ASSERT_EQ(a.hello.has_value(), b.hello.has_value());
  if (a.hello) {
    EXPECT_EQ(a.hello->pid, b.hello->pid);
    EXPECT_EQ(a.hello->host, b.hello->host);
    EXPECT_EQ(a.hello->world_size, b.hello->world_size);
  }
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    SCOPED_TRACE("metric " + a.metrics[i].name);
    EXPECT_EQ(a.metrics[i].name, b.metrics[i].name);
    EXPECT_EQ(a.metrics[i].steps, b.metrics[i].steps);
    ASSERT_EQ(a.metrics[i].times.size(), b.metrics[i].times.size());
    ASSERT_EQ(a.metrics[i].values.size(), b.metrics[i].values.size());
    for (std::size_t k = 0; k < a.metrics[i].times.size(); ++k) expect_same_double(a.metrics[i].times[k], b.metrics[i].times[k]);
    for (std::size_t k = 0; k < a.metrics[i].values.size(); ++k) expect_same_double(a.metrics[i].values[k], b.metrics[i].values[k]);
  }
  ASSERT_EQ(a.spans.size(), b.spans.size());
  for (std::size_t i = 0; i < a.spans.size(); ++i) {
    EXPECT_EQ(a.spans[i].kind, b.spans[i].kind);
    EXPECT_EQ(a.spans[i].name, b.spans[i].name);
    EXPECT_EQ(a.spans[i].step, b.spans[i].step);
    expect_same_double(a.spans[i].start, b.spans[i].start);
    expect_same_double(a.spans[i].end, b.spans[i].end);
  }
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    expect_same_double(a.events[i].time, b.events[i].time);
    EXPECT_EQ(a.events[i].kind, b.events[i].kind);
    EXPECT_EQ(a.events[i].text, b.events[i].text);
    EXPECT_EQ(a.events[i].step, b.events[i].step);
  }
  ASSERT_EQ(a.logs.size(), b.logs.size());
  for (std::size_t i = 0; i < a.logs.size(); ++i) {
    expect_same_double(a.logs[i].time, b.logs[i].time);
    EXPECT_EQ(a.logs[i].stream, b.logs[i].stream);
    EXPECT_EQ(a.logs[i].text, b.logs[i].text);
  }
  ASSERT_EQ(a.progress.has_value(), b.progress.has_value());
  if (a.progress) {
    expect_same_double(a.progress->done, b.progress->done);
    expect_same_double(a.progress->total, b.progress->total);
  }
  ASSERT_EQ(a.exit.has_value(), b.exit.has_value());
  if (a.exit) {
    EXPECT_EQ(a.exit->pid, b.exit->pid);
    EXPECT_EQ(a.exit->exit_code, b.exit->exit_code);
    EXPECT_EQ(a.exit->signal, b.exit->signal);
    EXPECT_EQ(a.exit->requested, b.exit->requested);
    expect_same_double(a.exit->time, b.exit->time);
  }
}

// decode must never throw; returns the result and fills `why`.
inline std::optional<Batch> decode_str(const std::string& frame, std::string* why = nullptr) {
  std::optional<Batch> out;
  EXPECT_NO_THROW(out = decode(frame.data(), frame.size(), why));
  return out;
}

// A decoded batch, whatever bytes it came from, must satisfy the invariants consumers rely on.
inline void expect_well_formed(const Batch& b) {
  EXPECT_GE(b.rank, 0);
  EXPECT_LE(b.source.size(), kMaxStringBytes);
  for (const auto& m : b.metrics) {
    EXPECT_EQ(m.steps.size(), m.times.size());
    EXPECT_EQ(m.steps.size(), m.values.size());
    EXPECT_LE(m.name.size(), kMaxStringBytes);
  }
}

inline void pack_str(Packer& p, std::string_view s) {
  p.pack_str(static_cast<std::uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// Builds a map frame from (key, packer-of-value) entries, so each hostile frame
// differs from a valid one in exactly the field under test.
using Field = std::pair<std::string, std::function<void(Packer&)>>;

inline std::string frame_of(const std::vector<Field>& fields) {
  msgpack::sbuffer buf;
  Packer p(buf);
  p.pack_map(static_cast<std::uint32_t>(fields.size()));
  for (const auto& [key, value] : fields) {
    pack_str(p, key);
    value(p);
  }
  return std::string(buf.data(), buf.size());
}

inline Field version(std::uint32_t v = kWireVersion) { return {"v", [v](Packer& p) { p.pack(v); }}; }
inline Field rank(std::int64_t r = 0) { return {"r", [r](Packer& p) { p.pack(r); }}; }
inline Field raw(std::string key, std::function<void(Packer&)> value) { return {std::move(key), std::move(value)}; }

// A metric list with one series whose columns are packed by the given functions.
inline Field metric_field(std::function<void(Packer&)> name, std::function<void(Packer&)> steps,
                   std::function<void(Packer&)> times, std::function<void(Packer&)> values) {
  return {"m", [=](Packer& p) {
            p.pack_array(1);
            p.pack_array(4);
            name(p);
            steps(p);
            times(p);
            values(p);
          }};
}

inline std::function<void(Packer&)> doubles(std::vector<double> v) {
  return [v](Packer& p) {
    p.pack_array(static_cast<std::uint32_t>(v.size()));
    for (double d : v) p.pack_double(d);
  };
}
inline std::function<void(Packer&)> ints(std::vector<std::int64_t> v) {
  return [v](Packer& p) {
    p.pack_array(static_cast<std::uint32_t>(v.size()));
    for (auto i : v) p.pack(i);
  };
}
inline std::function<void(Packer&)> str(std::string s) {
  return [s](Packer& p) { pack_str(p, s); };
}
// A msgpack bin holding these bytes as they are (a metric column in its binary form).
inline std::function<void(Packer&)> bin_bytes(std::string bytes) {
  return [bytes](Packer& p) {
    p.pack_bin(static_cast<std::uint32_t>(bytes.size()));
    p.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  };
}
// Values as the binary column form: little-endian 8-byte values, written byte by byte.
template <typename T>
inline std::function<void(Packer&)> bin_column(std::vector<T> v) {
  std::string bytes;
  for (T x : v) {
    const auto bits = std::bit_cast<std::uint64_t>(x);
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
  }
  return bin_bytes(bytes);
}

}  // namespace orrery::wire_test
