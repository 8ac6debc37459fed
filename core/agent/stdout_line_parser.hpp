// Reads what a rank prints: JSON metric lines (the Python reporter's format, or
// any JSON object with an integer "step" and numeric fields) become telemetry;
// every line is also kept as a log line. Lines come from user programs: anything
// malformed is just a log line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orrery::agent {

struct ParsedLine {
  std::int64_t step = -1;
  std::vector<std::pair<std::string, double>> metrics;
  std::optional<std::pair<double, double>> progress;
  std::optional<std::pair<std::string, std::string>> event;   // kind, text
  bool reporter = false;   // a {"orrery": 1, ...} line: telemetry only, kept out of the rank's log
  bool empty() const { return metrics.empty() && !progress && !event; }
};

// Returns nullopt for ordinary text.
std::optional<ParsedLine> parse_stdout_line(std::string_view line);

}  // namespace orrery::agent
