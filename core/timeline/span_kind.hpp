// The kinds of work a rank timeline tells apart. Spans carry their kind as text
// ("compute", "comm", ... as core/runtime documents); the timeline keeps one byte.
#pragma once

#include <cstdint>
#include <string_view>

namespace orrery::timeline {

enum class SpanKind : std::uint8_t { Compute, Comm, Io, Checkpoint, Idle, Other };
inline constexpr int kSpanKindCount = 6;

// "compute", "comm" (or "communication"), "io" (or "i/o"), "checkpoint", "idle";
// anything else, case-sensitive as logged, is Other.
SpanKind span_kind_from(std::string_view text);
// A label for the screen: "compute", "communication", "I/O", "checkpoint", "idle", "other".
std::string_view span_kind_label(SpanKind kind);

inline int kind_index(SpanKind kind) { return static_cast<int>(kind); }

}  // namespace orrery::timeline
