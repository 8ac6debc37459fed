// decode()'s contract for untrusted frames (core/telemetry/wire.hpp), hand-built: every
// malformed field is answered with nullopt and a reason naming it, never an exception.

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

}  // namespace
