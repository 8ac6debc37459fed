#include "remote/slurm_job_history.hpp"

#include <algorithm>
#include <array>
#include <sstream>

namespace orrery::remote {

namespace {

bool digits_only(std::string_view s) {
  return !s.empty() && s.size() <= 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// PENDING, COMPLETED, OUT_OF_MEMORY, ...: what a job state looks like.
bool state_word(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

// "0:0": exit code and signal.
bool exit_code_word(std::string_view s) {
  auto colon = s.find(':');
  return colon != std::string_view::npos && digits_only(s.substr(0, colon)) && digits_only(s.substr(colon + 1));
}

// Printable text without the separators of the lines it came from.
bool plain_field(std::string_view s) {
  return s.size() <= 200 && std::all_of(s.begin(), s.end(), [](char c) { return c >= ' ' && c != '|' && c != 127; });
}

// The value of "Key=value" when the word starts with exactly that key.
std::optional<std::string_view> keyed_value(std::string_view word, std::string_view key) {
  if (word.size() <= key.size() || word.substr(0, key.size()) != key || word[key.size()] != '=') return std::nullopt;
  return word.substr(key.size() + 1);
}

std::vector<std::string_view> split_at(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string_view> fields_of_line(std::string_view s) {
  std::vector<std::string_view> out;
  for (auto w : split_at(s, ' '))
    if (!w.empty()) out.push_back(w);
  return out;
}

}  // namespace

std::optional<SlurmHistorySources> parse_slurm_config(const std::string& show_config) {
  std::optional<std::string> storage, comp_type, comp_loc;
  std::string cluster;
  std::istringstream lines(show_config);
  std::string line;
  while (std::getline(lines, line)) {
    auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    std::string value = line.substr(eq + 3);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.pop_back();
    if (key == "AccountingStorageType") storage = value;
    else if (key == "JobCompType") comp_type = value;
    else if (key == "JobCompLoc") comp_loc = value;
    else if (key == "ClusterName") cluster = value;
  }
  if (!storage) return std::nullopt;
  SlurmHistorySources s;
  s.accounting = !storage->empty() && *storage != "accounting_storage/none" && *storage != "(null)";
  if (comp_type == "jobcomp/filetxt" && comp_loc && comp_loc->size() > 1 && comp_loc->front() == '/' && plain_field(*comp_loc))
    s.jobcomp_file = *comp_loc;
  if (cluster.size() <= 64 &&
      std::all_of(cluster.begin(), cluster.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }) &&
      (cluster.empty() || cluster.front() != '-'))
    s.cluster = cluster;
  return s;
}

std::vector<std::string> sacct_argv(const std::string& job_id, const std::string& cluster) {
  std::vector<std::string> argv = {"sacct"};
  if (!cluster.empty()) argv.push_back("--clusters=" + cluster);
  argv.insert(argv.end(), {"-j", job_id, "-X", "-n", "-P", "-o", "JobID,State,ExitCode,Reason,NodeList"});
  return argv;
}

std::optional<SlurmJobState> parse_sacct_line(const std::string& line) {
  std::string_view text(line);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  auto fields = split_at(text, '|');
  if (fields.size() != 5) return std::nullopt;
  SlurmJobState s;
  s.job_id = std::string(fields[0]);
  auto state = fields[1].substr(0, fields[1].find(' '));   // "CANCELLED by 1000": who cancelled is not kept
  if (!valid_job_id(s.job_id) || !state_word(state) || !exit_code_word(fields[2]) || !plain_field(fields[3]) ||
      !plain_field(fields[4]))
    return std::nullopt;
  s.state = std::string(state);
  s.exit_code = std::string(fields[2]);
  s.reason = std::string(fields[3]);
  s.nodes = fields[4] == "None assigned" ? "" : std::string(fields[4]);
  s.source = "sacct";
  return s;
}

std::optional<SlurmJobState> parse_jobcomp_line(const std::string& line) {
  auto words = fields_of_line(line);
  if (words.size() < 12) return std::nullopt;
  auto job = keyed_value(words.front(), "JobId");
  auto exit_code = keyed_value(words.back(), "ExitCode");
  if (!job || !digits_only(*job) || !exit_code || !exit_code_word(*exit_code) || !keyed_value(words[words.size() - 2], "DerivedExitCode"))
    return std::nullopt;
  // The fixed run of fields after the free-text name; a name or folder imitating it makes the line ambiguous.
  static constexpr std::array<std::string_view, 9> kFields = {"JobState", "Partition", "TimeLimit", "StartTime", "EndTime",
                                                              "NodeList", "NodeCnt",   "ProcCnt",   "WorkDir"};
  std::optional<std::size_t> at;
  for (std::size_t i = 1; i + kFields.size() <= words.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < kFields.size() && match; ++k) match = keyed_value(words[i + k], kFields[k]).has_value();
    if (!match) continue;
    if (at) return std::nullopt;
    at = i;
  }
  if (!at) return std::nullopt;
  auto state = *keyed_value(words[*at], "JobState");
  auto nodes = *keyed_value(words[*at + 5], "NodeList");
  if (!state_word(state) || !plain_field(nodes)) return std::nullopt;
  SlurmJobState s;
  s.job_id = std::string(*job);
  s.state = std::string(state);
  s.nodes = nodes == "(null)" ? "" : std::string(nodes);
  s.exit_code = std::string(*exit_code);
  s.source = "jobcomp/filetxt";
  // After the last EligibleTime= only fixed fields follow (the free-text WorkDir comes before it).
  std::size_t eligible = 0;
  for (std::size_t i = words.size() - 2; i > *at + 8; --i)
    if (keyed_value(words[i], "EligibleTime")) {
      eligible = i;
      break;
    }
  if (eligible == 0) return std::nullopt;
  std::optional<std::string_view> array_job, array_task;
  for (std::size_t i = eligible + 1; i + 2 < words.size(); ++i) {
    if (auto v = keyed_value(words[i], "ArrayJobId")) array_job = v;
    if (auto v = keyed_value(words[i], "ArrayTaskId")) array_task = v;
  }
  if (array_job || array_task) {
    if (!array_job || !array_task || !digits_only(*array_job) || !digits_only(*array_task)) return std::nullopt;
    s.job_id = std::string(*array_job) + "_" + std::string(*array_task);
  }
  return s;
}

std::optional<SlurmJobState> last_state_of(const std::string& text, const std::string& job_id,
                                           std::optional<SlurmJobState> (*parse)(const std::string&)) {
  std::optional<SlurmJobState> found;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (auto s = parse(line); s && s->job_id == job_id) found = s;
  return found;
}

}  // namespace orrery::remote
