#include "spec/kind_catalog.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace orrery::spec {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// nlohmann reports the byte offset of the offending character; people need a
// line and a column to find it in an editor.
std::string position_text(const std::string& text, std::size_t byte) {
  std::size_t offset = std::min(byte > 0 ? byte - 1 : 0, text.size());   // 0-based index of the bad character
  auto begin = text.begin();
  auto at = begin + static_cast<std::ptrdiff_t>(offset);
  std::size_t line = 1 + static_cast<std::size_t>(std::count(begin, at, '\n'));
  auto line_start = std::find(std::make_reverse_iterator(at), text.rend(), '\n').base();
  std::size_t column = 1 + static_cast<std::size_t>(at - line_start);
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2: <reason>".
std::string parse_reason(const char* what) {
  std::string s(what);
  auto column = s.find("column ");
  auto colon = s.find(": ", column == std::string::npos ? 0 : column);
  return colon == std::string::npos ? s : s.substr(colon + 2);
}

}  // namespace

std::optional<json> read_json_file(const fs::path& file, std::vector<Issue>* problems) {
  auto fail = [&](std::string message) -> std::optional<json> {
    if (problems) problems->push_back(Issue{"$", std::move(message), file});
    return std::nullopt;
  };
  std::error_code ec;
  if (fs::is_directory(file, ec)) return fail("is a directory, not a JSON file");
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return fail("read error");
  std::string text = buffer.str();
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return fail("JSON syntax error at " + position_text(text, e.byte) + ": " + parse_reason(e.what()));
  }
}

KindCatalog KindCatalog::load(const std::vector<fs::path>& dirs, std::vector<Issue>* problems) {
  KindCatalog catalog;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    if (!fs::is_directory(dir, ec)) {
      if (problems) problems->push_back(Issue{"$", "is not a directory of kind manifests", dir});
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".json" && !it->is_directory(ec)) files.push_back(it->path());
    if (ec) {
      if (problems) problems->push_back(Issue{"$", "cannot list directory: " + ec.message(), dir});
      continue;
    }
    std::sort(files.begin(), files.end());

    std::map<std::string, fs::path, std::less<>> seen_here;
    for (const auto& file : files) {
      auto manifest = read_json_file(file, problems);
      if (!manifest) continue;
      auto kind = parse_kind(*manifest, file, problems);
      if (!kind) continue;
      if (auto it = seen_here.find(kind->name); it != seen_here.end()) {
        if (problems)
          problems->push_back(Issue{"$.name", "kind " + detail::json_quote(kind->name) + " is already defined by " +
                                                  it->second.filename().string() + " in the same directory; ignored",
                                    file});
        continue;
      }
      seen_here.emplace(kind->name, file);
      catalog.put(std::move(*kind));
    }
  }
  return catalog;
}

KindCatalog KindCatalog::from_kinds(std::vector<KindSchema> kinds) {
  KindCatalog catalog;
  for (auto& k : kinds) catalog.put(std::move(k));
  return catalog;
}

void KindCatalog::put(KindSchema kind) {
  auto it = std::lower_bound(kinds_.begin(), kinds_.end(), kind.name,
                             [](const KindSchema& k, const std::string& name) { return k.name < name; });
  if (it != kinds_.end() && it->name == kind.name) *it = std::move(kind);
  else kinds_.insert(it, std::move(kind));
}

const KindSchema* KindCatalog::find(std::string_view name) const {
  auto it = std::lower_bound(kinds_.begin(), kinds_.end(), name,
                             [](const KindSchema& k, std::string_view n) { return k.name < n; });
  return it != kinds_.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string> KindCatalog::names() const {
  std::vector<std::string> out;
  out.reserve(kinds_.size());
  for (const auto& k : kinds_) out.push_back(k.name);
  return out;
}

}  // namespace orrery::spec
