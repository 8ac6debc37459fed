#include "runfiles/annotations.hpp"

#include "runfiles/run_record.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace orrery::runfiles {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxFileBytes = kMaxAnnotationNotesBytes * 2 + 64 * 1024;
}

bool valid_annotation_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxAnnotationTagBytes) return false;
  if (tag.front() == ' ' || tag.back() == ' ') return false;
  for (unsigned char c : tag)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

Annotations read_annotations(const Project& project, std::string_view run_id) {
  const fs::path file = run_path(project, run_id) / "annotations.json";
  std::error_code ec;
  const auto status = fs::symlink_status(file, ec);
  if (ec || !fs::is_regular_file(status)) return {};
  if (fs::file_size(file, ec) > kMaxFileBytes || ec) return {};
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  Annotations a;
  if (!j.is_object()) return a;
  if (auto t = j.find("tags"); t != j.end() && t->is_array()) {
    for (const auto& tag : *t) {
      if (a.tags.size() >= kMaxAnnotationTags) break;
      if (tag.is_string() && valid_annotation_tag(tag.get<std::string>())) a.tags.push_back(tag.get<std::string>());
    }
  }
  if (auto n = j.find("notes"); n != j.end() && n->is_string()) {
    a.notes = n->get<std::string>();
    if (a.notes.size() > kMaxAnnotationNotesBytes) a.notes.resize(kMaxAnnotationNotesBytes);
  }
  return a;
}

void write_annotations(const Project& project, std::string_view run_id, const Annotations& a) {
  const fs::path dir = run_path(project, run_id);
  std::error_code ec;
  const auto status = fs::symlink_status(dir, ec);
  if (ec || !fs::is_directory(status) || fs::is_symlink(status))
    throw ProjectError("no run folder " + dir.string() + " to annotate");
  if (a.tags.size() > kMaxAnnotationTags) throw ProjectError("at most " + std::to_string(kMaxAnnotationTags) + " tags");
  for (const auto& tag : a.tags)
    if (!valid_annotation_tag(tag))
      throw ProjectError("invalid tag \"" + tag + "\": 1-64 characters, no control characters, no outer spaces");
  if (a.notes.size() > kMaxAnnotationNotesBytes) throw ProjectError("notes longer than 64 KiB");
  nlohmann::json j = {{"tags", a.tags}, {"notes", a.notes}};
  // dump() with replace: notes are user text, possibly invalid UTF-8 pasted from elsewhere.
  write_file_atomically(dir / "annotations.json", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace orrery::runfiles
