// orrery logs templates FILE: the log-template parser of the logs panel (core/logs,
// Drain) on any log file, a run's rank log or one of the user's own. Prints, for each
// line in order, the template it belongs to, or with --summary the templates and how
// many lines each covers; CSV either way, so it pipes into pandas or a spreadsheet.
#include "commands.hpp"

#include "logs/drain.hpp"
#include "logs/line_reader.hpp"
#include "logs/utf8_repair.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>

namespace orrery::cli {

namespace {

struct TemplatesArgs {
  std::string file;
  bool summary = false;
  logs::DrainOptions drain;
};

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled.
void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// Rows are built in a buffer and written in large blocks: a million lines in, a million rows out.
class CsvOut {
 public:
  ~CsvOut() { flush(); }
  std::string& row() { return buffer_; }
  void end_row() {
    buffer_ += '\n';
    if (buffer_.size() > (1 << 20)) flush();
  }
  void flush() {
    std::fwrite(buffer_.data(), 1, buffer_.size(), stdout);
    buffer_.clear();
  }

 private:
  std::string buffer_;
};

int close_log(std::FILE* f) { return f == stdin ? 0 : std::fclose(f); }
using LogFile = std::unique_ptr<std::FILE, decltype(&close_log)>;

// Opens FILE ("-" is standard input); empty, with a message on stderr, when it cannot.
LogFile open_log(const std::string& file) {
  if (file == "-") return {stdin, &close_log};
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    std::cerr << "orrery logs templates: " << file << " is a directory, not a log file\n";
    return {nullptr, &close_log};
  }
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) {
    const int error = errno;  // before anything else can change it
    std::cerr << "orrery logs templates: cannot open " << file << ": " << std::strerror(error) << "\n";
  }
  return {f, &close_log};
}

int print_templates(const TemplatesArgs& args) {
  auto file = open_log(args.file);
  if (!file) return kFailed;

  logs::Drain drain(args.drain);
  std::vector<logs::Drain::TemplateId> line_template;  // per input line, printed at the end
  logs::LineReader reader(file.get(), logs::kMaxLineBytes);
  std::string line;
  try {
    while (reader.next(line)) {
      // Templates are printed as text: a line that is not UTF-8 is parsed as its repaired form.
      line_template.push_back(logs::is_valid_utf8(line) ? drain.add(line) : drain.add(logs::repair_utf8(line)));
    }
  } catch (const std::system_error& e) {
    std::cerr << "orrery logs templates: cannot read " << args.file << ": " << e.code().message() << "\n";
    return kFailed;
  }

  // Each row shows the template as it stands after the whole file (it only ever gains
  // wildcards), so all rows of one id agree. Ids count from 1, like line numbers.
  std::vector<std::string> text(drain.template_count());
  for (logs::Drain::TemplateId id = 0; id < text.size(); ++id) text[id] = drain.template_text(id);

  CsvOut out;
  if (args.summary) {
    std::vector<logs::Drain::TemplateId> order(text.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&drain](auto a, auto b) { return drain.line_count(a) > drain.line_count(b); });
    out.row() += "template_id,count,template\n";
    for (auto id : order) {
      out.row() += std::to_string(id + 1) + "," + std::to_string(drain.line_count(id)) + ",";
      append_csv_field(out.row(), text[id]);
      out.end_row();
    }
  } else {
    out.row() += "line,template_id,template\n";
    for (std::size_t i = 0; i < line_template.size(); ++i) {
      out.row() += std::to_string(i + 1) + "," + std::to_string(line_template[i] + 1) + ",";
      append_csv_field(out.row(), text[line_template[i]]);
      out.end_row();
    }
  }
  out.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int error = errno;
    std::cerr << "orrery logs templates: cannot write the output: " << std::strerror(error) << "\n";
    return kFailed;
  }
  return kSucceeded;
}

}  // namespace

void add_logs_command(CLI::App& app, Globals& /*g*/, int& result) {
  auto* logs = app.add_subcommand("logs", "Log files: group their lines into templates");
  logs->require_subcommand(1);
  auto* cmd = logs->add_subcommand(
      "templates",
      "Group a log file's lines into templates (Drain) and print, as CSV, each line's template "
      "(line,template_id,template; ids from 1 in order of first appearance), or the templates with counts");
  auto args = std::make_shared<TemplatesArgs>();
  cmd->add_option("FILE", args->file, "Log file, or - for standard input")->required();
  cmd->add_flag("--summary", args->summary, "Print the templates with their line counts (template_id,count,template), most lines first");
  cmd->add_option("--depth", args->drain.depth, "Depth of the parse tree, as in Drain: depth - 2 leading words route a line (masked values, log levels and a leading program: or component: label do not count)")
      ->check(CLI::Range(3, 16))
      ->capture_default_str();
  cmd->add_option("--similarity", args->drain.similarity, "Share of equal tokens for a line to join a template")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->callback([&result, args] { result = print_templates(*args); });
}

}  // namespace orrery::cli
