// The telemetry wire format (core/telemetry/wire.hpp): encode/decode round trip,
// and decode's contract for untrusted frames: every malformed or hostile frame is
// answered with nullopt and a reason, never an exception, a crash or an unbounded
// allocation.

#include "test_support.hpp"
#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "telemetry/wire.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define ORRERY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ORRERY_TEST_ASAN 1
#endif
#endif

namespace {

using namespace orrery::telemetry;
using Packer = msgpack::packer<msgpack::sbuffer>;


Batch full_batch() {
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
void expect_same_double(double a, double b) {
  if (std::isnan(a)) {
    EXPECT_TRUE(std::isnan(b));
  } else {
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << a << " vs " << b;
  }
}

void expect_equal(const Batch& a, const Batch& b) {
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
std::optional<Batch> decode_str(const std::string& frame, std::string* why = nullptr) {
  std::optional<Batch> out;
  EXPECT_NO_THROW(out = decode(frame.data(), frame.size(), why));
  return out;
}

// A decoded batch, whatever bytes it came from, must satisfy the invariants consumers rely on.
void expect_well_formed(const Batch& b) {
  EXPECT_GE(b.rank, 0);
  EXPECT_LE(b.source.size(), kMaxStringBytes);
  for (const auto& m : b.metrics) {
    EXPECT_EQ(m.steps.size(), m.times.size());
    EXPECT_EQ(m.steps.size(), m.values.size());
    EXPECT_LE(m.name.size(), kMaxStringBytes);
  }
}

void pack_str(Packer& p, std::string_view s) {
  p.pack_str(static_cast<std::uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// Builds a map frame from (key, packer-of-value) entries, so each hostile frame
// differs from a valid one in exactly the field under test.
using Field = std::pair<std::string, std::function<void(Packer&)>>;

std::string frame_of(const std::vector<Field>& fields) {
  msgpack::sbuffer buf;
  Packer p(buf);
  p.pack_map(static_cast<std::uint32_t>(fields.size()));
  for (const auto& [key, value] : fields) {
    pack_str(p, key);
    value(p);
  }
  return std::string(buf.data(), buf.size());
}

Field version(std::uint32_t v = kWireVersion) { return {"v", [v](Packer& p) { p.pack(v); }}; }
Field rank(std::int64_t r = 0) { return {"r", [r](Packer& p) { p.pack(r); }}; }
Field raw(std::string key, std::function<void(Packer&)> value) { return {std::move(key), std::move(value)}; }

// A metric list with one series whose columns are packed by the given functions.
Field metric_field(std::function<void(Packer&)> name, std::function<void(Packer&)> steps,
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

std::function<void(Packer&)> doubles(std::vector<double> v) {
  return [v](Packer& p) {
    p.pack_array(static_cast<std::uint32_t>(v.size()));
    for (double d : v) p.pack_double(d);
  };
}
std::function<void(Packer&)> ints(std::vector<std::int64_t> v) {
  return [v](Packer& p) {
    p.pack_array(static_cast<std::uint32_t>(v.size()));
    for (auto i : v) p.pack(i);
  };
}
std::function<void(Packer&)> str(std::string s) {
  return [s](Packer& p) { pack_str(p, s); };
}
// A msgpack bin holding these bytes as they are (a metric column in its binary form).
std::function<void(Packer&)> bin_bytes(std::string bytes) {
  return [bytes](Packer& p) {
    p.pack_bin(static_cast<std::uint32_t>(bytes.size()));
    p.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  };
}
// Values as the binary column form: little-endian 8-byte values, written byte by byte.
template <typename T>
std::function<void(Packer&)> bin_column(std::vector<T> v) {
  std::string bytes;
  for (T x : v) {
    const auto bits = std::bit_cast<std::uint64_t>(x);
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
  }
  return bin_bytes(bytes);
}

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

// ---------------------------------------------------------------------------
// Rejections: hand-built hostile frames

struct Hostile {
  const char* name;
  std::string frame;
  const char* why;  // a piece of the reason ("" = any non-empty reason)
};

std::vector<Hostile> hostile_frames() {
  const auto nil = [](Packer& p) { p.pack_nil(); };
  std::vector<Hostile> t;
  t.push_back({"wrong version", frame_of({version(2), rank()}), "version"});
  t.push_back({"version zero", frame_of({version(0), rank()}), "version"});
  t.push_back({"version negative", frame_of({raw("v", [](Packer& p) { p.pack(-1); }), rank()}), "v"});
  t.push_back({"version as string", frame_of({raw("v", str("1")), rank()}), "v"});
  // pack_double() of an integral value writes an integer, so non-integral values or raw float64 bytes.
  t.push_back({"version as float", frame_of({raw("v", [](Packer& p) { p.pack_double(1.5); }), rank()}), "v"});
  t.push_back({"version as float64 1.0", std::string("\x82\xa1v\xcb\x3f\xf0\0\0\0\0\0\0\xa1r\x00", 15), "v"});
  t.push_back({"rank as float64 0.0", std::string("\x82\xa1v\x01\xa1r\xcb\0\0\0\0\0\0\0\0", 15), "r"});
  t.push_back({"rank as float32", std::string("\x82\xa1v\x01\xa1r\xca\0\0\0\0", 11), "r"});
  t.push_back({"missing version", frame_of({rank()}), "version"});
  t.push_back({"missing rank", frame_of({version()}), "rank"});
  t.push_back({"negative rank", frame_of({version(), rank(-1)}), "rank"});
  t.push_back({"very negative rank", frame_of({version(), rank(std::numeric_limits<std::int64_t>::min())}), "r"});
  t.push_back({"rank above int32", frame_of({version(), rank(std::int64_t{1} << 31)}), "range"});
  t.push_back({"rank as uint64 max", frame_of({version(), raw("r", [](Packer& p) { p.pack(std::numeric_limits<std::uint64_t>::max()); })}), "range"});
  t.push_back({"rank as string", frame_of({version(), raw("r", str("0"))}), "r: expected an integer"});
  t.push_back({"rank as float", frame_of({version(), raw("r", [](Packer& p) { p.pack_double(0.5); })}), "r"});
  t.push_back({"rank as nil", frame_of({version(), raw("r", nil)}), "r"});
  t.push_back({"source as number", frame_of({version(), rank(), raw("src", [](Packer& p) { p.pack(5); })}), "src"});
  t.push_back({"source as binary", frame_of({version(), rank(), raw("src", [](Packer& p) {
                                             p.pack_bin(3);
                                             p.pack_bin_body("abc", 3);
                                           })}),
               "src"});
  t.push_back({"seq negative", frame_of({version(), rank(), raw("seq", [](Packer& p) { p.pack(-3); })}), "seq"});
  t.push_back({"seq as string", frame_of({version(), rank(), raw("seq", str("1"))}), "seq"});
  t.push_back({"drop as double", frame_of({version(), rank(), raw("drop", [](Packer& p) { p.pack_double(1.5); })}), "drop"});
  t.push_back({"hello not an array", frame_of({version(), rank(), raw("hello", str("hi"))}), "hello"});
  t.push_back({"hello too short", frame_of({version(), rank(), raw("hello", [](Packer& p) {
                                            p.pack_array(2);
                                            p.pack(1);
                                            pack_str(p, "h");
                                          })}),
               "hello"});
  t.push_back({"hello pid as string", frame_of({version(), rank(), raw("hello", [](Packer& p) {
                                                p.pack_array(3);
                                                pack_str(p, "123");
                                                pack_str(p, "h");
                                                p.pack(1);
                                              })}),
               "pid"});
  t.push_back({"hello host as number", frame_of({version(), rank(), raw("hello", [](Packer& p) {
                                                 p.pack_array(3);
                                                 p.pack(1);
                                                 p.pack(2);
                                                 p.pack(1);
                                               })}),
               "host"});
  t.push_back({"metrics not an array", frame_of({version(), rank(), raw("m", [](Packer& p) { p.pack(1); })}), "m"});
  t.push_back({"metric item not an array", frame_of({version(), rank(), raw("m", [](Packer& p) {
                                                     p.pack_array(1);
                                                     pack_str(p, "loss");
                                                   })}),
               "m[i]"});
  t.push_back({"metric item too short", frame_of({version(), rank(), raw("m", [](Packer& p) {
                                                   p.pack_array(1);
                                                   p.pack_array(3);
                                                   pack_str(p, "loss");
                                                   p.pack_array(0);
                                                   p.pack_array(0);
                                                 })}),
               "m[i]"});
  t.push_back({"metric name as number", frame_of({version(), rank(), metric_field([](Packer& p) { p.pack(3); }, ints({1}), doubles({1}), doubles({1}))}),
               "metric name"});
  t.push_back({"metric steps not an array", frame_of({version(), rank(), metric_field(str("loss"), str("1"), doubles({1}), doubles({1}))}),
               "metric steps"});
  t.push_back({"metric step as string", frame_of({version(), rank(), metric_field(str("loss"), [](Packer& p) {
                                                    p.pack_array(1);
                                                    pack_str(p, "1");
                                                  }, doubles({1}), doubles({1}))}),
               "step"});
  t.push_back({"metric step as float", frame_of({version(), rank(), metric_field(str("loss"), [](Packer& p) {
                                                   p.pack_array(1);
                                                   p.pack_double(1.5);
                                                 }, doubles({1}), doubles({1}))}),
               "step"});
  t.push_back({"metric step above int64", frame_of({version(), rank(), metric_field(str("loss"), [](Packer& p) {
                                                     p.pack_array(1);
                                                     p.pack(std::numeric_limits<std::uint64_t>::max());
                                                   }, doubles({1}), doubles({1}))}),
               "range"});
  t.push_back({"metric value as string", frame_of({version(), rank(), metric_field(str("loss"), ints({1}), doubles({1}), [](Packer& p) {
                                                     p.pack_array(1);
                                                     pack_str(p, "0.5");
                                                   })}),
               "value"});
  t.push_back({"metric value as nil", frame_of({version(), rank(), metric_field(str("loss"), ints({1}), doubles({1}), [](Packer& p) {
                                                  p.pack_array(1);
                                                  p.pack_nil();
                                                })}),
               "value"});
  t.push_back({"metric time as bool", frame_of({version(), rank(), metric_field(str("loss"), ints({1}), [](Packer& p) {
                                                  p.pack_array(1);
                                                  p.pack_true();
                                                }, doubles({1}))}),
               "time"});
  t.push_back({"metric columns: fewer times", frame_of({version(), rank(), metric_field(str("loss"), ints({1, 2, 3}), doubles({1, 2}), doubles({1, 2, 3}))}),
               "differ in length"});
  t.push_back({"metric columns: fewer values", frame_of({version(), rank(), metric_field(str("loss"), ints({1, 2}), doubles({1, 2}), doubles({1}))}),
               "differ in length"});
  t.push_back({"metric steps: bin not a multiple of 8", frame_of({version(), rank(), metric_field(str("loss"), bin_bytes(std::string(12, '\0')), doubles({1}), doubles({1}))}),
               "multiple of 8"});
  t.push_back({"metric columns: bin of 2 steps, 1 time", frame_of({version(), rank(), metric_field(str("loss"), bin_bytes(std::string(16, '\0')), doubles({1}), doubles({1}))}),
               "differ in length"});
  t.push_back({"metric times as a string", frame_of({version(), rank(), metric_field(str("loss"), ints({1}), str("12345678"), doubles({1}))}),
               "metric times"});
  t.push_back({"metric columns: no steps", frame_of({version(), rank(), metric_field(str("loss"), ints({}), doubles({1}), doubles({1}))}),
               "differ in length"});
  t.push_back({"span too short", frame_of({version(), rank(), raw("s", [](Packer& p) {
                                           p.pack_array(1);
                                           p.pack_array(4);
                                           pack_str(p, "compute");
                                           pack_str(p, "f");
                                           p.pack(1);
                                           p.pack_double(0);
                                         })}),
               "span"});
  t.push_back({"span step as string", frame_of({version(), rank(), raw("s", [](Packer& p) {
                                                 p.pack_array(1);
                                                 p.pack_array(5);
                                                 pack_str(p, "compute");
                                                 pack_str(p, "f");
                                                 pack_str(p, "1");
                                                 p.pack_double(0);
                                                 p.pack_double(1);
                                               })}),
               "span step"});
  t.push_back({"span kind as number", frame_of({version(), rank(), raw("s", [](Packer& p) {
                                                 p.pack_array(1);
                                                 p.pack_array(5);
                                                 p.pack(1);
                                                 pack_str(p, "f");
                                                 p.pack(1);
                                                 p.pack_double(0);
                                                 p.pack_double(1);
                                               })}),
               "span kind"});
  t.push_back({"event kind as number", frame_of({version(), rank(), raw("e", [](Packer& p) {
                                                  p.pack_array(1);
                                                  p.pack_array(4);
                                                  p.pack_double(1);
                                                  p.pack(7);
                                                  pack_str(p, "t");
                                                  p.pack(1);
                                                })}),
               "event kind"});
  t.push_back({"event time as string", frame_of({version(), rank(), raw("e", [](Packer& p) {
                                                  p.pack_array(1);
                                                  p.pack_array(4);
                                                  pack_str(p, "now");
                                                  pack_str(p, "k");
                                                  pack_str(p, "t");
                                                  p.pack(1);
                                                })}),
               "event time"});
  t.push_back({"log text as number", frame_of({version(), rank(), raw("l", [](Packer& p) {
                                                p.pack_array(1);
                                                p.pack_array(3);
                                                p.pack_double(1);
                                                p.pack(1);
                                                p.pack(5);
                                              })}),
               "log text"});
  t.push_back({"log stream out of range", frame_of({version(), rank(), raw("l", [](Packer& p) {
                                                     p.pack_array(1);
                                                     p.pack_array(3);
                                                     p.pack_double(1);
                                                     p.pack(std::int64_t{1} << 40);
                                                     pack_str(p, "x");
                                                   })}),
               "log stream"});
  t.push_back({"logs not a list", frame_of({version(), rank(), raw("l", [](Packer& p) { pack_str(p, "line"); })}), "l"});
  t.push_back({"progress as string", frame_of({version(), rank(), raw("p", [](Packer& p) {
                                                p.pack_array(2);
                                                pack_str(p, "1");
                                                p.pack_double(2);
                                              })}),
               "progress done"});
  t.push_back({"progress too short", frame_of({version(), rank(), raw("p", [](Packer& p) {
                                                p.pack_array(1);
                                                p.pack_double(2);
                                              })}),
               "p"});
  t.push_back({"exit requested as int", frame_of({version(), rank(), raw("x", [](Packer& p) {
                                                   p.pack_array(5);
                                                   p.pack(1);
                                                   p.pack(0);
                                                   p.pack(0);
                                                   p.pack(1);
                                                   p.pack_double(1);
                                                 })}),
               "exit requested"});
  t.push_back({"exit code as string", frame_of({version(), rank(), raw("x", [](Packer& p) {
                                                 p.pack_array(5);
                                                 p.pack(1);
                                                 pack_str(p, "3");
                                                 p.pack(0);
                                                 p.pack_false();
                                                 p.pack_double(1);
                                               })}),
               "exit code"});
  t.push_back({"string over the limit", frame_of({version(), rank(), raw("src", str(std::string(kMaxStringBytes + 1, 's')))}), ""});
  {
    msgpack::sbuffer buf;
    Packer p(buf);
    p.pack_map(3);
    pack_str(p, "v");
    p.pack(kWireVersion);
    pack_str(p, "r");
    p.pack(0);
    p.pack(17);  // integer key
    p.pack(1);
    t.push_back({"non-string key", std::string(buf.data(), buf.size()), "key"});
  }
  {
    msgpack::sbuffer buf;
    Packer p(buf);
    p.pack_array(2);
    p.pack(kWireVersion);
    p.pack(0);
    t.push_back({"root is an array", std::string(buf.data(), buf.size()), "not a map"});
  }
  t.push_back({"root is nil", std::string("\xc0", 1), "not a map"});
  t.push_back({"root is a string", std::string("\xa3" "abc", 4), "not a map"});
  t.push_back({"empty map", std::string("\x80", 1), "version"});
  {
    // More keys than the unpacker allows in one map.
    std::vector<Field> many{version(), rank()};
    for (int i = 0; i < 100; ++i) many.push_back(raw("k" + std::to_string(i), [](Packer& p) { p.pack(1); }));
    t.push_back({"map with 102 entries", frame_of(many), ""});
  }
  return t;
}

TEST(WireReject, HostileFramesAreRejectedWithAReason) {
  for (const auto& h : hostile_frames()) {
    SCOPED_TRACE(h.name);
    std::string why;
    auto out = decode_str(h.frame, &why);
    EXPECT_FALSE(out) << h.name << " was accepted";
    EXPECT_FALSE(why.empty());
    EXPECT_CONTAINS(why, h.why);
  }
}

TEST(WireReject, ControlFramesFromTheSameBuilderAreAccepted) {
  // The builder itself is sound: the same shapes with valid values decode.
  std::string why;
  EXPECT_TRUE(decode_str(frame_of({version(), rank()}), &why)) << why;
  EXPECT_TRUE(decode_str(frame_of({version(), rank(), metric_field(str("loss"), ints({1, 2}), doubles({1, 2}), doubles({1, 2}))}), &why)) << why;
  EXPECT_TRUE(decode_str(frame_of({version(), rank(), raw("src", str(std::string(kMaxStringBytes, 's')))}), &why)) << why;
  std::vector<Field> fields{version(), rank()};
  for (int i = 0; i < 60; ++i) fields.push_back(raw("k" + std::to_string(i), [](Packer& p) { p.pack(1); }));
  EXPECT_TRUE(decode_str(frame_of(fields), &why)) << why;
}

TEST(WireReject, WhyIsOptional) {
  EXPECT_FALSE(decode(nullptr, 0, nullptr));
  const std::string bad = frame_of({version(9), rank()});
  EXPECT_FALSE(decode(bad.data(), bad.size(), nullptr));
}

TEST(WireReject, EmptyFrame) {
  std::string why;
  EXPECT_FALSE(decode(nullptr, 0, &why));
  EXPECT_CONTAINS(why, "empty");
  const char byte = '\x80';
  why.clear();
  EXPECT_FALSE(decode(&byte, 0, &why));
  EXPECT_CONTAINS(why, "empty");
}

TEST(WireReject, RandomBytes) {
  std::mt19937_64 rng(20261125);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(1, 600);
  for (int i = 0; i < 4000; ++i) {
    std::string buf(length(rng), '\0');
    for (auto& c : buf) c = static_cast<char>(byte(rng));
    // Half of them start like a map, so the parser gets past the first byte.
    if (i % 2) buf[0] = static_cast<char>(0x80 | (byte(rng) & 0x0f));
    std::string why;
    auto out = decode_str(buf, &why);
    if (out) {
      expect_well_formed(*out);
    } else {
      EXPECT_FALSE(why.empty());
    }
  }
}

TEST(WireReject, RandomMutationsOfAValidFrame) {
  const std::string frame = encode(full_batch());
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> pos(0, frame.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 3000; ++i) {
    std::string buf = frame;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) buf[pos(rng)] = static_cast<char>(byte(rng));
    if (rng() % 3 == 0) buf.resize(pos(rng));
    std::string why;
    auto out = decode_str(buf, &why);
    if (out) expect_well_formed(*out);
    else EXPECT_FALSE(why.empty());
  }
}

TEST(WireReject, EveryTruncationOfAValidFrame) {
  const std::string frame = encode(full_batch());
  ASSERT_GT(frame.size(), 100u);
  for (std::size_t n = 0; n < frame.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so ASan catches any read past the end.
    std::vector<char> prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
    std::string why;
    std::optional<Batch> out;
    EXPECT_NO_THROW(out = decode(prefix.data(), prefix.size(), &why));
    EXPECT_FALSE(out) << "prefix of " << n << " bytes was accepted";
    EXPECT_FALSE(why.empty());
  }
  EXPECT_TRUE(decode_str(frame));
}

TEST(WireReject, EverySingleByteFlip) {
  const std::string frame = encode(full_batch());
  std::size_t accepted = 0, rejected = 0;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const auto orig = static_cast<unsigned char>(frame[i]);
    for (unsigned char v : {static_cast<unsigned char>(0x00), static_cast<unsigned char>(0xff),
                            static_cast<unsigned char>(0xc1), static_cast<unsigned char>(0xdd),
                            static_cast<unsigned char>(orig ^ 0x01), static_cast<unsigned char>(orig ^ 0x80)}) {
      if (v == orig) continue;
      std::vector<char> buf(frame.begin(), frame.end());
      buf[i] = static_cast<char>(v);
      std::string why;
      std::optional<Batch> out;
      EXPECT_NO_THROW(out = decode(buf.data(), buf.size(), &why)) << "byte " << i;
      if (out) {
        ++accepted;  // e.g. a flipped bit inside a double: still a well-formed frame
        expect_well_formed(*out);
      } else {
        ++rejected;
        EXPECT_FALSE(why.empty());
      }
    }
  }
  EXPECT_GT(rejected, 0u);
  // The version byte is the second value in the frame: flipping it must always reject.
  const std::string minimal = frame_of({version(), rank()});
  ASSERT_EQ(static_cast<unsigned char>(minimal[2]), 'v');
  std::string bad = minimal;
  bad[3] = '\x02';
  std::string why;
  EXPECT_FALSE(decode_str(bad, &why));
  EXPECT_CONTAINS(why, "version");
}

TEST(WireReject, FrameOverTheSizeLimit) {
  // A valid frame followed by zeros: decode must reject on size before parsing
  // (msgpack alone would read the leading frame and ignore the rest).
  const std::string frame = encode(full_batch());
  std::vector<char> big(kMaxFrameBytes + 1, '\0');
  std::memcpy(big.data(), frame.data(), frame.size());
  std::string why;
  std::optional<Batch> out;
  EXPECT_NO_THROW(out = decode(big.data(), big.size(), &why));
  EXPECT_FALSE(out);
  EXPECT_CONTAINS(why, "larger");
  // At exactly the limit the size check lets it through to the parser.
  why.clear();
  EXPECT_NO_THROW(out = decode(big.data(), kMaxFrameBytes, &why));
  EXPECT_EQ(why.find("larger"), std::string::npos) << why;
}

TEST(WireReject, DeepNesting) {
  for (int depth : {9, 64, 10'000, 1'000'000}) {
    SCOPED_TRACE(depth);
    // {"v":1, "r":0, "zz": [[[[ ... ]]]]} — an unknown key, so only the unpacker's depth limit stops it.
    std::string frame = frame_of({version(), rank()});
    frame[0] = '\x83';
    frame += std::string("\xa2zz", 3);
    frame += std::string(static_cast<std::size_t>(depth), '\x91');
    frame += '\xc0';
    std::string why;
    EXPECT_FALSE(decode_str(frame, &why));
    EXPECT_FALSE(why.empty());
    // Nested maps too.
    std::string maps = frame_of({version(), rank()});
    maps[0] = '\x83';
    maps += std::string("\xa2zz", 3);
    for (int i = 0; i < depth; ++i) maps += std::string("\x81\xa1k", 3);
    maps += '\xc0';
    why.clear();
    EXPECT_FALSE(decode_str(maps, &why));
    EXPECT_FALSE(why.empty());
  }
  // Shallow nesting under an unknown key is fine.
  std::string ok = frame_of({version(), rank()});
  ok[0] = '\x83';
  ok += std::string("\xa2zz\x91\x91\x91\xc0", 7);
  std::string why;
  EXPECT_TRUE(decode_str(ok, &why)) << why;
}

std::string frame_with_huge_arrays(int levels, std::uint32_t declared) {
  // {"v":1, "r":0, "m": [declared x [declared x [ ... ]]]} with no elements present.
  std::string frame = frame_of({version(), rank()});
  frame[0] = '\x83';
  frame += std::string("\xa1m", 2);
  for (int i = 0; i < levels; ++i) {
    frame += '\xdd';
    for (int s = 24; s >= 0; s -= 8) frame += static_cast<char>((declared >> s) & 0xff);
  }
  return frame;
}

TEST(WireReject, HugeDeclaredArrayLengthWithFewBytes) {
  for (std::uint32_t declared : {0xffffffffu, 0x80000000u, 0x01000001u, 0x00ffffffu, 0x00010000u}) {
    for (int levels : {1, 2, 7}) {
      SCOPED_TRACE(std::to_string(declared) + " x " + std::to_string(levels));
      std::string why;
      EXPECT_FALSE(decode_str(frame_with_huge_arrays(levels, declared), &why));
      EXPECT_FALSE(why.empty());
    }
  }
  // Same for spans/events/logs lists and a metric column.
  for (const char* key : {"s", "e", "l"}) {
    std::string frame = frame_of({version(), rank()});
    frame[0] = '\x83';
    frame += '\xa1';
    frame += key;
    frame += std::string("\xdd\x00\xff\xff\xff", 5);
    std::string why;
    EXPECT_FALSE(decode_str(frame, &why)) << key;
  }
}

#ifndef ORRERY_TEST_ASAN
// A tiny frame must not make the decoder allocate hundreds of megabytes: run the
// hostile frames in a child whose address space is capped a little above what it
// already uses; an allocation failure would surface as a bad_alloc reason.
TEST(WireReject, HugeDeclaredArraysDoNotAllocateInProportion) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string report;
    long vm_kb = 0;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmSize:", 0) == 0) vm_kb = std::stol(line.substr(7));
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(vm_kb) * 1024 + (256u << 20);
    if (vm_kb == 0 || setrlimit(RLIMIT_AS, &lim) != 0) {
      report = "setup failed";
    } else {
      for (int levels : {1, 2, 7}) {
        std::string frame = frame_with_huge_arrays(levels, 0x00ffffffu);
        std::string why;
        auto out = decode(frame.data(), frame.size(), &why);
        if (out) report += "accepted;";
        else if (why.find("alloc") != std::string::npos) report += std::to_string(levels) + " levels: " + why + ";";
      }
    }
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(report, "") << "decode of a ~50-byte frame exhausted a 256 MiB allowance";
}
#endif

}  // namespace
