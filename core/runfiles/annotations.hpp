// A run's user annotations: tags and notes the workbench lets people edit, kept in
// runs/<id>/annotations.json. The GUI writes only this file (atomically); run.json
// belongs to the agent. Format: {"tags": ["baseline", ...], "notes": "free text"}.
#pragma once

#include "runfiles/project.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace orrery::runfiles {

inline constexpr std::size_t kMaxAnnotationTags = 64;
inline constexpr std::size_t kMaxAnnotationTagBytes = 64;
inline constexpr std::size_t kMaxAnnotationNotesBytes = 64 * 1024;

struct Annotations {
  std::vector<std::string> tags;
  std::string notes;
  bool operator==(const Annotations&) const = default;
};

// A tag: 1..64 bytes, no control characters, no leading or trailing space.
bool valid_annotation_tag(std::string_view tag);

// The run's annotations; empty when the file is absent, is not a regular file (a
// symbolic link is not followed), or is malformed (bad entries are dropped, notes cut
// at kMaxAnnotationNotesBytes). Throws ProjectError for an invalid run id.
Annotations read_annotations(const Project& project, std::string_view run_id);

// Writes runs/<id>/annotations.json atomically. Throws ProjectError for an invalid id,
// a missing run folder, an invalid tag, too many tags or notes too long, and
// RunRecordError when the file cannot be written.
void write_annotations(const Project& project, std::string_view run_id, const Annotations& annotations);

}  // namespace orrery::runfiles
