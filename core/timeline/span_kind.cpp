#include "timeline/span_kind.hpp"

namespace orrery::timeline {

SpanKind span_kind_from(std::string_view text) {
  if (text == "compute") return SpanKind::Compute;
  if (text == "comm" || text == "communication") return SpanKind::Comm;
  if (text == "io" || text == "i/o" || text == "I/O") return SpanKind::Io;
  if (text == "checkpoint") return SpanKind::Checkpoint;
  if (text == "idle") return SpanKind::Idle;
  return SpanKind::Other;
}

std::string_view span_kind_label(SpanKind kind) {
  switch (kind) {
    case SpanKind::Compute: return "compute";
    case SpanKind::Comm: return "communication";
    case SpanKind::Io: return "I/O";
    case SpanKind::Checkpoint: return "checkpoint";
    case SpanKind::Idle: return "idle";
    case SpanKind::Other: break;
  }
  return "other";
}

}  // namespace orrery::timeline
