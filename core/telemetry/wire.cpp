#include "telemetry/wire.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <exception>
#include <string_view>
#include <type_traits>

namespace orrery::telemetry {

std::size_t Batch::record_count() const {
  std::size_t n = spans.size() + events.size() + logs.size();
  for (const auto& m : metrics) n += m.values.size();
  return n;
}

// ---------------------------------------------------------------------------
// encode
// ---------------------------------------------------------------------------

namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_str(Packer& p, std::string_view s) {
  p.pack_str(static_cast<std::uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// A metric column as one bin of little-endian 8-byte values: a memcpy on both ends,
// where an array of msgpack numbers costs a type byte, a branch and a conversion per value.
template <typename T>
void pack_column(Packer& p, const std::vector<T>& column) {
  static_assert(sizeof(T) == 8 && std::is_trivially_copyable_v<T>);
  const auto bytes = static_cast<std::uint32_t>(column.size() * sizeof(T));
  p.pack_bin(bytes);
  if constexpr (std::endian::native == std::endian::little) {
    p.pack_bin_body(reinterpret_cast<const char*>(column.data()), bytes);
  } else {
    for (const T& v : column) {
      const auto le = __builtin_bswap64(std::bit_cast<std::uint64_t>(v));
      p.pack_bin_body(reinterpret_cast<const char*>(&le), sizeof le);
    }
  }
}

}  // namespace

std::string encode(const Batch& b) {
  msgpack::sbuffer buf(4096 + b.record_count() * 12);
  Packer p(buf);
  std::uint32_t fields = 5;  // v, r, src, seq, drop
  fields += b.hello ? 1 : 0;
  fields += b.metrics.empty() ? 0 : 1;
  fields += b.spans.empty() ? 0 : 1;
  fields += b.events.empty() ? 0 : 1;
  fields += b.logs.empty() ? 0 : 1;
  fields += b.progress ? 1 : 0;
  fields += b.exit ? 1 : 0;
  p.pack_map(fields);
  pack_str(p, "v"); p.pack(kWireVersion);
  pack_str(p, "r"); p.pack(b.rank);
  pack_str(p, "src"); pack_str(p, b.source);
  pack_str(p, "seq"); p.pack(b.seq);
  pack_str(p, "drop"); p.pack(b.dropped_total);
  if (b.hello) {
    pack_str(p, "hello");
    p.pack_array(3);
    p.pack(b.hello->pid); pack_str(p, b.hello->host); p.pack(b.hello->world_size);
  }
  if (!b.metrics.empty()) {
    pack_str(p, "m");
    p.pack_array(static_cast<std::uint32_t>(b.metrics.size()));
    for (const auto& m : b.metrics) {
      p.pack_array(4);
      pack_str(p, m.name);
      pack_column(p, m.steps);
      pack_column(p, m.times);
      pack_column(p, m.values);
    }
  }
  if (!b.spans.empty()) {
    pack_str(p, "s");
    p.pack_array(static_cast<std::uint32_t>(b.spans.size()));
    for (const auto& s : b.spans) {
      p.pack_array(5);
      pack_str(p, s.kind); pack_str(p, s.name); p.pack(s.step); p.pack_double(s.start); p.pack_double(s.end);
    }
  }
  if (!b.events.empty()) {
    pack_str(p, "e");
    p.pack_array(static_cast<std::uint32_t>(b.events.size()));
    for (const auto& e : b.events) {
      p.pack_array(4);
      p.pack_double(e.time); pack_str(p, e.kind); pack_str(p, e.text); p.pack(e.step);
    }
  }
  if (!b.logs.empty()) {
    pack_str(p, "l");
    p.pack_array(static_cast<std::uint32_t>(b.logs.size()));
    for (const auto& l : b.logs) {
      p.pack_array(3);
      p.pack_double(l.time); p.pack(l.stream); pack_str(p, l.text);
    }
  }
  if (b.progress) {
    pack_str(p, "p");
    p.pack_array(2);
    p.pack_double(b.progress->done); p.pack_double(b.progress->total);
  }
  if (b.exit) {
    pack_str(p, "x");
    p.pack_array(5);
    p.pack(b.exit->pid); p.pack(b.exit->exit_code); p.pack(b.exit->signal);
    p.pack(b.exit->requested); p.pack_double(b.exit->time);
  }
  return std::string(buf.data(), buf.size());
}

// ---------------------------------------------------------------------------
// decode: every field is type-checked; the first mismatch rejects the frame.
// ---------------------------------------------------------------------------

namespace {

struct Reject {
  std::string why;
};

const msgpack::object_array& as_array(const msgpack::object& o, std::uint32_t min_size, const char* what) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < min_size) throw Reject{std::string(what) + ": expected an array"};
  return o.via.array;
}

std::int64_t as_int(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<std::uint64_t>(INT64_MAX)) throw Reject{std::string(what) + ": integer out of range"};
    return static_cast<std::int64_t>(o.via.u64);
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  throw Reject{std::string(what) + ": expected an integer"};
}

std::uint64_t as_uint(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) return o.via.u64;
  throw Reject{std::string(what) + ": expected a non-negative integer"};
}

int as_int32(const msgpack::object& o, const char* what) {
  auto v = as_int(o, what);
  if (v < INT32_MIN || v > INT32_MAX) throw Reject{std::string(what) + ": integer out of range"};
  return static_cast<int>(v);
}

double as_double(const msgpack::object& o, const char* what) {
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::POSITIVE_INTEGER: return static_cast<double>(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return static_cast<double>(o.via.i64);
    default: throw Reject{std::string(what) + ": expected a number"};
  }
}

bool as_bool(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::BOOLEAN) throw Reject{std::string(what) + ": expected a boolean"};
  return o.via.boolean;
}

std::string as_string(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::STR) throw Reject{std::string(what) + ": expected a string"};
  if (o.via.str.size > kMaxStringBytes) throw Reject{std::string(what) + ": string too long"};
  return std::string(o.via.str.ptr, o.via.str.size);
}

// A metric column: a bin of little-endian 8-byte values (what encode() writes), or an
// array of msgpack numbers (what a hand-written sender may find easier).
template <typename T>
void decode_column(const msgpack::object& o, std::vector<T>& out, const char* what) {
  if (o.type == msgpack::type::BIN) {
    if (o.via.bin.size % sizeof(T) != 0) throw Reject{std::string(what) + ": bin length is not a multiple of 8"};
    out.resize(o.via.bin.size / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), o.via.bin.ptr, o.via.bin.size);
    if constexpr (std::endian::native != std::endian::little)
      for (T& v : out) v = std::bit_cast<T>(__builtin_bswap64(std::bit_cast<std::uint64_t>(v)));
    return;
  }
  if (o.type != msgpack::type::ARRAY) throw Reject{std::string(what) + ": expected an array or a bin"};
  const auto& a = o.via.array;
  out.resize(a.size);
  for (std::uint32_t k = 0; k < a.size; ++k) {
    if constexpr (std::is_same_v<T, std::int64_t>) out[k] = as_int(a.ptr[k], what);
    else out[k] = as_double(a.ptr[k], what);
  }
}

void decode_metrics(const msgpack::object& o, Batch& b) {
  const auto& list = as_array(o, 0, "m");
  b.metrics.reserve(list.size);
  for (std::uint32_t i = 0; i < list.size; ++i) {
    const auto& item = as_array(list.ptr[i], 4, "m[i]");
    MetricSeries m;
    m.name = as_string(item.ptr[0], "metric name");
    decode_column(item.ptr[1], m.steps, "metric steps");
    decode_column(item.ptr[2], m.times, "metric times");
    decode_column(item.ptr[3], m.values, "metric values");
    if (m.steps.size() != m.times.size() || m.steps.size() != m.values.size())
      throw Reject{"metric columns differ in length"};
    b.metrics.push_back(std::move(m));
  }
}

void decode_field(std::string_view key, const msgpack::object& v, Batch& b, bool& saw_version) {
  if (key == "v") {
    if (as_uint(v, "v") != kWireVersion) throw Reject{"unsupported wire version"};
    saw_version = true;
  } else if (key == "r") {
    b.rank = as_int32(v, "r");
  } else if (key == "src") {
    b.source = as_string(v, "src");
  } else if (key == "seq") {
    b.seq = as_uint(v, "seq");
  } else if (key == "drop") {
    b.dropped_total = as_uint(v, "drop");
  } else if (key == "hello") {
    const auto& a = as_array(v, 3, "hello");
    b.hello = Hello{as_int32(a.ptr[0], "pid"), as_string(a.ptr[1], "host"), as_int32(a.ptr[2], "world_size")};
  } else if (key == "m") {
    decode_metrics(v, b);
  } else if (key == "s") {
    const auto& list = as_array(v, 0, "s");
    for (std::uint32_t i = 0; i < list.size; ++i) {
      const auto& a = as_array(list.ptr[i], 5, "span");
      b.spans.push_back({as_string(a.ptr[0], "span kind"), as_string(a.ptr[1], "span name"),
                         as_int(a.ptr[2], "span step"), as_double(a.ptr[3], "span start"), as_double(a.ptr[4], "span end")});
    }
  } else if (key == "e") {
    const auto& list = as_array(v, 0, "e");
    for (std::uint32_t i = 0; i < list.size; ++i) {
      const auto& a = as_array(list.ptr[i], 4, "event");
      b.events.push_back({as_double(a.ptr[0], "event time"), as_string(a.ptr[1], "event kind"),
                          as_string(a.ptr[2], "event text"), as_int(a.ptr[3], "event step")});
    }
  } else if (key == "l") {
    const auto& list = as_array(v, 0, "l");
    for (std::uint32_t i = 0; i < list.size; ++i) {
      const auto& a = as_array(list.ptr[i], 3, "log");
      b.logs.push_back({as_double(a.ptr[0], "log time"), as_int32(a.ptr[1], "log stream"), as_string(a.ptr[2], "log text")});
    }
  } else if (key == "p") {
    const auto& a = as_array(v, 2, "p");
    b.progress = Progress{as_double(a.ptr[0], "progress done"), as_double(a.ptr[1], "progress total")};
  } else if (key == "x") {
    const auto& a = as_array(v, 5, "x");
    b.exit = ExitReport{as_int32(a.ptr[0], "exit pid"), as_int32(a.ptr[1], "exit code"), as_int32(a.ptr[2], "exit signal"),
                        as_bool(a.ptr[3], "exit requested"), as_double(a.ptr[4], "exit time")};
  }
  // Unknown keys are skipped so newer senders stay readable.
}

}  // namespace

std::optional<Batch> decode(const void* data, std::size_t size, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Batch> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (size == 0) return fail("empty frame");
  if (size > kMaxFrameBytes) return fail("frame larger than the limit");
  try {
    // Limits bound what a hostile frame can make the unpacker allocate. The unpacker
    // allocates a whole array when it reads its header, before the elements arrive, and
    // every element takes at least one byte: no array can honestly be longer than the frame.
    const std::size_t max_array = std::min<std::size_t>(1u << 24, size);
    // A bin (a metric column) is bounded by the frame itself.
    msgpack::unpack_limit limit(/*array*/ max_array, /*map*/ 64, /*str*/ kMaxStringBytes, /*bin*/ kMaxFrameBytes,
                                /*ext*/ 1u << 10, /*depth*/ 8);
    // A bin (a metric column) is referenced in the frame, not copied into the unpacker's
    // zone: decode_column copies it once, into the Batch, before the frame can go away.
    auto reference_bins = [](msgpack::type::object_type type, std::size_t, void*) { return type == msgpack::type::BIN; };
    msgpack::object_handle handle =
        msgpack::unpack(static_cast<const char*>(data), size, reference_bins, nullptr, limit);
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::MAP) return fail("frame is not a map");
    Batch batch;
    bool saw_version = false;
    for (std::uint32_t i = 0; i < root.via.map.size; ++i) {
      const auto& kv = root.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR) return fail("non-string key");
      decode_field(std::string_view(kv.key.via.str.ptr, kv.key.via.str.size), kv.val, batch, saw_version);
    }
    if (!saw_version) return fail("missing wire version");
    if (batch.rank < 0) return fail("missing or negative rank");
    return batch;
  } catch (const Reject& r) {
    return fail(r.why);
  } catch (const std::exception& e) {
    return fail(std::string("malformed msgpack: ") + e.what());
  }
}

}  // namespace orrery::telemetry
